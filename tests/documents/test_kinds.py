"""Every kind of document has its row (domain/document_kinds.py) and its class with a layout."""

from __future__ import annotations

import importlib
import pkgutil

import diversion_desktop.documents as documents
from diversion_desktop.documents.data import Document
from diversion_desktop.domain.document_kinds import DocumentKind, SentTo
from diversion_desktop.domain.permissions import Permission


def _document_classes() -> dict[DocumentKind, type[Document]]:
    """Every Document class in the package's modules (a new letter's module need not be exported)."""
    for module in pkgutil.iter_modules(documents.__path__):
        importlib.import_module(f"{documents.__name__}.{module.name}")
    found: dict[DocumentKind, type[Document]] = {}
    for cls in Document.__subclasses__():
        assert cls.KIND not in found, f"two classes for {cls.KIND}"
        found[cls.KIND] = cls
    return found


def test_each_kind_has_one_class_with_its_own_layout() -> None:
    classes = _document_classes()
    assert set(classes) == set(DocumentKind)
    for kind, cls in classes.items():
        assert cls.compose is not Document.compose, f"{cls.__name__} has no layout"
        assert cls.__module__.endswith(kind.value), f"{cls.__name__} lives beside its layout"


def test_kinds_have_distinct_labels_and_codes() -> None:
    kinds = list(DocumentKind)
    assert len({k.label for k in kinds}) == len(kinds)
    assert len({k.code for k in kinds}) == len(kinds)


def test_who_may_issue_and_where_each_goes() -> None:
    # The YOT notice goes to the YOT and is police work; the file note stays on the case file.
    assert DocumentKind.YOT_NOTICE.details.sent_to is SentTo.YOT
    assert DocumentKind.YOT_NOTICE.details.permission is Permission.ISSUE_INTAKE_DOCUMENTS
    assert DocumentKind.PROSECUTION_FILE_NOTE.details.sent_to is SentTo.CASE_FILE
    assert DocumentKind.APPOINTMENT_LETTER.details.permission is Permission.ISSUE_PROVIDER_DOCUMENTS
    withdrawn = {k for k in DocumentKind if k.details.withdrawn_with_next_step}
    assert withdrawn == {
        DocumentKind.PROSECUTION_FILE_NOTE,
        DocumentKind.FUTURE_INELIGIBILITY_NOTICE,
        DocumentKind.COMPLETION_LETTER,
    }
