"""Form behaviour shared by the pages of several apps."""

from __future__ import annotations

from django import forms


class FoldedFilters(forms.Form):
    """List filters whose secondary fields fold away on a phone: the fields named in
    ``MORE`` go under "More filters" in ``web/includes/filter_bar.html``, which opens by
    itself when one of them is in use."""

    MORE: tuple[str, ...] = ()

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.MORE]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MORE if name in self.fields]

    def more_used(self) -> bool:
        return any(self.data.get(name) for name in self.MORE)
