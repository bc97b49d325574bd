"""What every figure shares: its data, axes, fonts, palette, source line and PNG output.

The palette is colour-blind safe; the source line and, for synthetic data, a mark are drawn
into the image; the frame a figure drew is kept with it.

Every plot function has the shape ``plot_x(data, *, year, units=None, counting=…, ax=None)``
and returns the Axes it drew on. ``data`` is a mapping of metric tables (what
:func:`biblio.tables.compute_tables` returns, or the notebook object of
:func:`biblio.open_dataset`) or the one table the figure reads. The frame a figure drew is
:func:`figure_data` of its Axes, so one line writes the figure's CSV.

Examples
--------
>>> import polars as pl
>>> counting_label(check_counting("fractional", ("fractional", "full")))
'fractional counting'
>>> check_counting(None, ("full",))
'full'
>>> check_counting("fractional", ("full",))
Traceback (most recent call last):
...
ValueError: counting='fractional': this figure is defined with full counting only
"""

from __future__ import annotations

import io
import sys
import textwrap
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import matplotlib

if "ipykernel" not in sys.modules:  # in Jupyter, keep the notebook's inline backend
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl

from biblio.units import is_country

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "OKABE_ITO",
    "Counting",
    "Data",
    "alt_text",
    "check_counting",
    "counting_label",
    "figure_data",
    "png_bytes",
    "title_of",
]

Counting = Literal["fractional", "full"]
#: Figures are rendered at this resolution (and their text is at least 8 pt).
DPI = 200
#: The Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
GREY = "#8c8c8c"
TITLE_SIZE = 11.5
LABEL_SIZE = 10
TICK_SIZE = 9
NOTE_SIZE = 8.5
SYNTHETIC_MARK = "SYNTHETIC DATA — NOT REAL FIGURES"


@dataclass(frozen=True)
class Drawn:
    """What a figure drew: its data, a description and its title.

    The data hold one row per mark; the description gives its key values; the title is the
    finding.
    """

    frame: pl.DataFrame
    alt: str
    title: str = ""


_DRAWN: weakref.WeakKeyDictionary[Any, Drawn] = weakref.WeakKeyDictionary()
_OWN: weakref.WeakSet[Any] = weakref.WeakSet()  # Axes whose figure a plot function created


def remember(ax: Axes, frame: pl.DataFrame, alt: str) -> None:
    """Keep the frame ``ax`` drew and its alt text, for :func:`figure_data`/:func:`alt_text`."""
    _DRAWN[ax] = Drawn(frame, " ".join(alt.split()))


def _drawn(ax: Axes) -> Drawn:
    try:
        return _DRAWN[ax]
    except KeyError:
        raise ValueError("these Axes were not drawn by a biblio.plot function") from None


def figure_data(ax: Axes) -> pl.DataFrame:
    """The data a ``plot_*`` function drew on ``ax``: ``figure_data(ax).write_csv("x.csv")``."""
    return _drawn(ax).frame


def alt_text(ax: Axes) -> str:
    """A description of the figure on ``ax`` with its key values (for an image's alt text)."""
    return _drawn(ax).alt


def title_of(ax: Axes) -> str:
    """The title of the figure on ``ax`` (its finding) as one line."""
    return _drawn(ax).title


def check_counting(counting: str | None, allowed: Sequence[str]) -> str:
    """The figure's counting: ``counting`` if it defines it, its first one when ``None``."""
    if counting is None:
        return allowed[0]
    if counting not in ("fractional", "full"):
        raise ValueError(f"counting={counting!r}: use 'fractional' or 'full'")
    if counting not in allowed:
        only = " or ".join(allowed)
        raise ValueError(f"counting={counting!r}: this figure is defined with {only} counting only")
    return counting


def counting_label(counting: str) -> str:
    """``full counting`` / ``fractional counting``."""
    return f"{counting} counting"


#: What a plot function takes: the tables by name, or the one table it draws.
Data = Mapping[str, pl.DataFrame] | pl.DataFrame


def table(data: Data, name: str) -> pl.DataFrame:
    """Table ``name`` of a mapping of tables, or ``data`` itself when it is one table."""
    if isinstance(data, pl.DataFrame):
        return data
    try:
        return data[name]
    except KeyError:
        raise ValueError(f"this figure needs the {name!r} table; pass every table") from None


def optional_table(
    data: Mapping[str, pl.DataFrame] | pl.DataFrame, name: str
) -> pl.DataFrame | None:
    """Table ``name`` when ``data`` is a mapping that holds it, else ``None``."""
    if isinstance(data, pl.DataFrame):
        return None
    try:
        return data[name]
    except KeyError:
        return None


def provenance(data: object, source: str | None, synthetic: bool | None) -> tuple[str | None, bool]:
    """The source line and synthetic flag: as given, else as ``data`` carries them."""
    if source is None:
        source = getattr(data, "source_line", None)
    if synthetic is None:
        synthetic = bool(getattr(data, "synthetic", False))
    return source, synthetic


def year_rows(data: pl.DataFrame, year: int, what: str) -> pl.DataFrame:
    """The rows of ``year``; a clear error naming the table's years when there are none."""
    rows = data.filter(pl.col("year") == year)
    if rows.is_empty():
        years = sorted(set(data["year"].to_list()))
        raise ValueError(f"{what}: no rows for {year}; the table has years {years}")
    return rows


def countries_only(rows: pl.DataFrame, column: str = "unit") -> pl.DataFrame:
    """The rows whose ``column`` is a country (ISO 3166-1 alpha-2), not a group or unknown."""
    keep = [u for u in rows[column].unique().to_list() if u is not None and is_country(u)]
    return rows.filter(pl.col(column).is_in(keep))


def ranked_units(rows: pl.DataFrame, column: str, n: int, *, eu27: bool = True) -> list[str]:
    """The ``n`` countries with the largest ``column``, then EU27 when the rows have it."""
    ranked = countries_only(rows).sort([column, "unit"], descending=[True, False], nulls_last=True)
    units = ranked["unit"].head(n).to_list()
    return [*units, "EU27"] if eu27 and "EU27" in rows["unit"].to_list() else units


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches (constrained layout)."""
    if ax is not None:
        return ax
    # No rc_context around figure creation: leaving one would switch off Jupyter's inline
    # backend for the rest of the session.
    made = plt.figure(figsize=size, layout="constrained").add_subplot()
    _OWN.add(made)
    return made


def new_axes_beside(
    ax: Axes | None, size: tuple[float, float], share: float
) -> tuple[Axes, Axes, Axes | None]:
    """``ax``, a panel to its right on the same rows (``share`` of the width), a legend row.

    Without ``ax``, the two are Axes of a new figure of ``size`` inches (constrained layout, so
    the panel's labels get room) and the legends go above them, under the figure's title
    (the third value is ``None``). With ``ax``, its place in the caller's grid is split: the
    two Axes side by side, and below them an empty Axes to hold the legends, since the
    caller's Axes carries the title just above it (an Axes outside any grid gets an inset
    panel and no legend row).
    """
    if ax is None:
        fig = plt.figure(figsize=size, layout="constrained")
        main, panel = fig.subplots(1, 2, sharey=True, width_ratios=(1 - share, share))
        _OWN.add(main)
        return main, panel, None
    spec = ax.get_subplotspec()
    if spec is None:
        return ax, ax.inset_axes((1.04, 0.0, share / (1 - share), 1.0), sharey=ax), None
    inner = spec.subgridspec(2, 2, width_ratios=(1 - share, share), height_ratios=(1, 0.01))
    ax.set_subplotspec(inner[0, 0])
    panel = ax.figure.add_subplot(inner[0, 1], sharey=ax)
    legends = ax.figure.add_subplot(inner[1, :])
    legends.set_axis_off()
    return ax, panel, legends


def style_axes(ax: Axes) -> None:
    """Tick labels at a legible size, no top/right frame."""
    ax.tick_params(labelsize=TICK_SIZE)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def wrap(text: str, fig: Any, size: float, share: float = 0.92) -> str:
    """``text`` wrapped to ``share`` of the figure's width at font ``size`` (points)."""
    chars = int(share * fig.get_figwidth() * 72 / (0.56 * size))
    return textwrap.fill(text, max(chars, 20), break_on_hyphens=False)


def label(ax: Axes, *, x: str = "", y: str = "", width: float = 0.8) -> None:
    """Axis labels at the label size, the x label wrapped to ``width`` of the figure."""
    ax.set_xlabel(wrap(x, ax.figure, LABEL_SIZE, width), fontsize=LABEL_SIZE)
    ax.set_ylabel(textwrap.fill(y, 50, break_on_hyphens=False), fontsize=LABEL_SIZE)


def legend_outside(ax: Axes, title: str = "") -> None:
    """The legend beside the axes, where it cannot hide a mark."""
    ax.legend(
        title=title or None,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=TICK_SIZE,
        title_fontsize=TICK_SIZE,
        frameon=False,
    )


def finish(
    ax: Axes,
    finding: str,
    title: str | None,
    *,
    counting: str | None,
    source: str | None,
    synthetic: bool,
) -> Axes:
    """Title the figure with its finding (or ``title``) and draw its source line.

    For synthetic data, a mark is also drawn across the image.

    A figure the plot function created gets its title across the whole width (``suptitle``);
    Axes the caller passed get it as their own left title.
    """
    fig = ax.figure
    text = " ".join((title if title is not None else finding).split())
    if ax in _OWN:
        fig.suptitle(wrap(text, fig, TITLE_SIZE, 0.95), x=0.01, ha="left", fontsize=TITLE_SIZE)
    else:
        ax.set_title(wrap(text, fig, TITLE_SIZE, 0.6), loc="left", fontsize=TITLE_SIZE)
    if ax in _DRAWN:
        _DRAWN[ax] = Drawn(_DRAWN[ax].frame, _DRAWN[ax].alt, text)
    parts = [f"Source: {source}" if source else "", counting_label(counting) if counting else ""]
    line = "; ".join(p for p in parts if p)
    if synthetic:
        line = f"{SYNTHETIC_MARK}. {line}" if line else SYNTHETIC_MARK
    if line:
        # The figure's bottom label: constrained layout keeps room for it under everything.
        fig.supxlabel(
            wrap(line + ".", fig, NOTE_SIZE - 0.5, 0.95),
            x=0.01,
            ha="left",
            fontsize=NOTE_SIZE - 0.5,
            color="0.3",
        )
    if synthetic:
        fig.text(
            0.5,
            0.5,
            "SYNTHETIC DATA",
            fontsize=42,
            color="#b00020",
            alpha=0.13,
            rotation=22,
            ha="center",
            va="center",
            zorder=100,
        )
    return ax


def ratio_axis(ax: Axes, values: Sequence[float | None]) -> None:
    """A log x axis for ratios, with a dashed reference line at 1 and readable ticks."""
    import matplotlib.ticker as mticker

    known = [v for v in values if v is not None and v > 0]
    low, high = min([*known, 1.0]), max([*known, 1.0])
    steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    if high / low < 6:
        steps += [0.25, 0.33, 0.4, 0.67, 0.75, 0.8, 1.25, 1.5, 3, 4]
    ticks = sorted(t for t in steps if low / 1.15 <= t <= high * 1.15)
    ax.set_xscale("log")
    ax.set_xlim(low / 1.3, high * 1.3)
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.axvline(1.0, color="0.25", linewidth=1.1, linestyle="--", zorder=2)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at :data:`DPI`, with no software or time metadata.

    So the same tables give byte-identical files. The figure is closed.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def pct(value: float | None, digits: int = 1) -> str:
    """A share as ``12.3 %``; ``n/a`` when undefined."""
    return "n/a" if value is None or value != value else f"{100 * value:.{digits}f} %"


def count(value: float | None, counting: str) -> str:
    """A count as printed: ``1,234`` (full) or ``1,234.5`` (fractional)."""
    if value is None:
        return "n/a"
    return f"{int(value):,}" if counting == "full" else f"{value:,.1f}"
