"""``biblio.plot`` takes the pairs to show from its caller."""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axes import Axes

from biblio.plot import plot_asymmetry


def _asymmetry() -> pl.DataFrame:
    pairs = [("US", "CN", 2.0, 0.2), ("FR", "DE", 1.5, 0.5), ("GB", "CN", 3.0, 0.1)]
    return pl.DataFrame(
        {
            "source": [s for s, _, _, _ in pairs],
            "partner": [p for _, p, _, _ in pairs],
            "year": [2024] * len(pairs),
            "asymmetry": [a for _, _, a, _ in pairs],
            "salton": [c for _, _, _, c in pairs],
            "affinity": [1.0] * len(pairs),
        }
    )


def _shown(ax: Axes) -> list[str]:
    labels = [label.get_text() for label in ax.get_yticklabels()]
    plt.close("all")
    return labels


def test_asymmetry_shows_the_given_pairs_first_then_by_salton() -> None:
    data = _asymmetry()
    first = [("GB", "CN"), ("XX", "CN")]  # a pair the table lacks is skipped
    assert _shown(plot_asymmetry(data, year=2024, first=first)) == [
        "United Kingdom → China",
        "France → Germany",
        "United States → China",
    ]
    assert _shown(plot_asymmetry(data, year=2024)) == [
        "France → Germany",
        "United States → China",
        "United Kingdom → China",
    ]
    assert _shown(plot_asymmetry(data, year=2024, pairs=[("US", "CN")], first=first)) == [
        "United States → China"
    ]
