"""The sections of ``report.html``, one module each; each renders HTML from a `RunData`."""
