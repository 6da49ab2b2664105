"""Small layout pieces every panel uses: a labelled field, a message line."""
from __future__ import annotations

from dash import html


def field(label: str, control, hint: str | None = None, inline: bool = False):
    """A control with its label above it (or beside it, ``inline``) and an optional hint under it."""
    return html.Label([html.Span(label, className="field-label"), control]
                      + ([html.Span(hint, className="hint")] if hint else []),
                      className="field inline" if inline else "field")


def message(component_id: str):
    """Where a panel says what happened: one sentence, styled ok, warn or error by its callback."""
    return html.Div(id=component_id, className="message", role="status")
