"""The report: ``index.html`` (self-contained) and ``report.md`` built from the metric tables.

One module per job; each builds blocks of one small document model, which two renderers turn
into files::

    build        tables → document → render → write (build_report, write_report)
    document     the immutable document model: Document, Section and the blocks
    markdown     the Markdown renderer          html     the HTML renderer and its CSS
    format       numbers, unit names, escaping
    findings     the findings with their counts, and without the works of 100+ authors
    headlines    the headline sentences          figures  the figures (biblio.plot)
    comparison   the published figures beside ours
    published    the published-figures data file, its key units and flow pairs
    definitions  the definitions, source line, glossary
    main_tables  the main tables, the works of 100+ authors and coverage

The yearly bundle (:mod:`biblio.bundle`) adds its sections as blocks of the same model.

Examples
--------
>>> from biblio.report.document import Document, Paragraph, Section
>>> from biblio.report.markdown import render_markdown
>>> render_markdown(Document("T", Section("S", Paragraph("a_b"))))
'# T\\n\\n## S\\n\\na\\\\_b\\n'
"""

from biblio.report.build import build_report, check_year, report_document, report_year, write_report

__all__ = ["build_report", "check_year", "report_document", "report_year", "write_report"]
