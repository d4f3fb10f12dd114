"""The intake form and person search driven as an officer would: type, see the decision, save, find."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from diversion_desktop.domain.fields import PERSON_FIELDS, Kind
from diversion_desktop.domain.people_codes import ETHNICITY_2021, OFFICER_OBSERVED
from diversion_desktop.services.dto import PersonRecord
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui.intake_form import IntakeForm
from diversion_desktop.ui.search_panel import SearchPanel
from tests.ui.conftest import type_text


def field(widget: QWidget, accessible_name: str) -> QWidget:
    found = [w for w in widget.findChildren(QWidget) if w.accessibleName() == accessible_name]
    assert found, f"no input named {accessible_name!r}"
    return found[0]


def type_into(qtbot, widget: QWidget, name: str, text: str) -> None:
    target = field(widget, name)
    target.setFocus()
    type_text(qtbot, target, text)


def tick(qtbot, box: QWidget) -> None:
    """Toggle a check box from the keyboard (Space), as a keyboard user would."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def choose(widget: QWidget, name: str, text: str) -> None:
    combo = field(widget, name)
    index = combo.findText(text, Qt.MatchFlag.MatchStartsWith)
    assert index >= 0, f"{text!r} not offered in {name!r}"
    combo.setCurrentIndex(index)


@pytest.fixture
def form(qtbot, gui_ctx, gui_runner, gui_settings) -> IntakeForm:
    widget = IntakeForm(gui_ctx, gui_runner, gui_settings)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    return widget


def fill_adult(
    qtbot,
    form: IntakeForm,
    surname: str = "O'Brien",
    dob: str = "01/05/1990",
    area: str = "West Berkshire",
    quantity: str = "2.5",
) -> None:
    type_into(qtbot, form, "Surname", surname)
    type_into(qtbot, form, "Forenames", "Seán")
    type_into(qtbot, form, "Date of birth", dob)
    choose(form, "Area", area)
    type_into(qtbot, form, "Incident date and time", "09/03/2026 21:30")
    type_into(qtbot, form, "Place", "Northbrook Street & <High St>")
    type_into(qtbot, form, "Officer name", "PC Ward")
    type_into(qtbot, form, "Collar number", "4521")
    choose(form, "Substance 1", "Cannabis (herbal)")
    type_into(qtbot, form, "Quantity 1", quantity)


INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox, QPlainTextEdit, QTextEdit)


def test_every_input_is_named_for_assistive_technology(form: IntakeForm) -> None:
    """Each input a person can reach has an accessible name, and a labelled one is named by its
    label's words exactly (what the screen shows is what a screen reader says)."""
    inputs = [
        w
        for w in form.findChildren(QWidget)
        if isinstance(w, INPUTS)
        and w.isVisibleTo(form)
        # the line edit inside a combo box or spin box is part of that input, which has the name
        and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))
    ]
    assert [w.objectName() or type(w).__name__ for w in inputs if not w.accessibleName()] == []
    labelled = {
        label.text().replace("&", ""): label.buddy()
        for label in form.findChildren(QLabel)
        if label.buddy() is not None and label.isVisibleTo(form)
    }
    assert {name: buddy.accessibleName() for name, buddy in labelled.items() if buddy.accessibleName() != name} == {}
    # The check saw the form's inputs, labelled and not (the substance row's are named in code).
    assert {"Surname", "Forenames", "Date of birth", "Area", "Incident date and time", "Officer name"} <= set(labelled)
    assert {"Substance 1", "Quantity 1", "Unit 1", "The person agrees to take part in the diversion"} <= {
        w.accessibleName() for w in inputs
    }


def test_the_person_inputs_are_the_field_lists(qtbot, form: IntakeForm) -> None:
    """Every person field the list places on the form has an input named by its label, in the
    list's order down the form, its typing reaches the draft and a fully loaded person fills it."""
    placed = [f for f in PERSON_FIELDS if f.group]
    inputs = [field(form, f.label) for f in placed]
    assert [w.objectName() for w in inputs] == [f.name for f in placed]
    for group in ("person", "guardian"):  # the list's order is the order down each group
        tops = [w.mapTo(form, w.rect().topLeft()).y() for f, w in zip(placed, inputs, strict=True) if f.group == group]
        assert tops == sorted(tops)
    typed = {f.name: f"{f.name[:3]}x" for f in placed if f.kind not in (Kind.DATE, Kind.CHOICE)}
    for f in placed:
        if f.name in typed:
            type_into(qtbot, form, f.label, typed[f.name])
    draft = form.draft()
    assert {name: getattr(draft, name) for name in typed} == {
        name: value.upper() if name == "postcode" else value for name, value in typed.items()
    }
    person = PersonRecord(
        id=1,
        reference="P000001",
        surname="Nowak",
        forenames="Ewa",
        date_of_birth=date(2010, 3, 10),
        **{
            f.name: f"{f.name.upper()} VALUE"
            for f in placed
            if f.kind not in (Kind.DATE, Kind.CHOICE) and f.name not in ("surname", "forenames")
        },
        sex="Female",
        ethnicity_self=ETHNICITY_2021[0],
        ethnicity_observed=OFFICER_OBSERVED[0],
    )
    form.load_person(person)
    assert form.draft().guardian_phone == "GUARDIAN_PHONE VALUE"
    assert {f.name: getattr(form.draft(), f.name) for f in placed} == {f.name: getattr(person, f.name) for f in placed}


def test_decision_updates_live_while_typing(qtbot, form: IntakeForm) -> None:
    assert form.decision_label.text() == "Not yet decided"
    fill_adult(qtbot, form)
    tick(qtbot, form.consent)
    assert form.decision_label.text() == "Eligible for diversion"
    assert "adult pathway" in form.pathway_label.text()
    field(form, "Quantity 1").clear()
    type_into(qtbot, form, "Quantity 1", "25")
    assert form.decision_label.text() == "Not eligible for diversion"
    reasons = [form.reasons_list.item(i).text() for i in range(form.reasons_list.count())]
    assert any("over the small-quantity limit" in r for r in reasons)
    assert form.override_box.isVisible()


def test_save_eligible_referral_then_find_the_person(qtbot, form: IntakeForm, gui_ctx, gui_runner) -> None:
    fill_adult(qtbot, form)
    tick(qtbot, form.consent)
    with qtbot.waitSignal(form.sig_saved, timeout=5000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    result = saved.args[0]
    assert result.reference == "WB-2026-00001"
    assert result.decision == "eligible"
    assert "Saved WB-2026-00001" in form.status_label.text()
    detail = ReferralService(gui_ctx).detail(result.id)
    assert detail.incident_place == "Northbrook Street & <High St>"
    assert detail.status == "awaiting_appointment"

    panel = SearchPanel(gui_ctx, gui_runner)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.sig_results_shown, timeout=5000) as shown:
        qtbot.keyClicks(panel.search_box, "obri")
    assert shown.args[0] == 1
    assert panel.people_model.row_at(0).surname == "O'Brien"
    assert panel.history_model.rowCount() == 1
    assert panel.history_model.row_at(0).reference == "WB-2026-00001"


def test_under_18_needs_a_guardian(qtbot, form: IntakeForm) -> None:
    fill_adult(qtbot, form, surname="Nowak", dob="10/03/2010")  # 16 on the incident date
    tick(qtbot, form.consent)
    assert "youth pathway" in form.pathway_label.text()
    assert "required" in form.guardian_box.title()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.fields["guardian_name"].error.isVisible()
    assert "guardian" in form.fields["guardian_name"].error.text()
    assert "Not saved" in form.status_label.text()
    type_into(qtbot, form, "Parent or guardian name", "Ewa Nowak")
    with qtbot.waitSignal(form.sig_saved, timeout=5000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].pathway == "youth"


@pytest.mark.parametrize(
    ("dob", "message"),
    [
        ("31/02/1990", "real date"),
        ("01/01/2030", "future"),
        ("01/06/2017", "under 10"),
    ],
)
def test_impossible_dates_refused_at_the_field(qtbot, form: IntakeForm, dob: str, message: str) -> None:
    fill_adult(qtbot, form, dob=dob)
    tick(qtbot, form.consent)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    error = form.fields["date_of_birth"].error
    assert error.isVisible() and message in error.text()
    assert form.saving is False


def test_ineligible_saved_with_reasons_and_override_needs_a_reason(qtbot, form: IntakeForm, gui_ctx) -> None:
    fill_adult(qtbot, form, quantity="50")
    tick(qtbot, form.consent)
    with qtbot.waitSignal(form.sig_saved, timeout=5000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].decision == "not_eligible"
    assert any("small-quantity" in r for r in saved.args[0].reasons)
    detail = ReferralService(gui_ctx).detail(saved.args[0].id)
    assert detail.status == "not_eligible" and detail.outcome == "not_eligible"

    fill_adult(qtbot, form, surname="Kowalski", quantity="50")
    tick(qtbot, form.consent)
    form.override_reason.setFocus()
    qtbot.keyClicks(form.override_reason, "Weight includes packaging; supervisor checked.")
    with qtbot.waitSignal(form.sig_saved, timeout=5000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].overridden is True
    assert saved.args[0].status == "awaiting_appointment"


def test_possible_match_is_offered_before_a_new_person(qtbot, form: IntakeForm, gui_runner) -> None:
    fill_adult(qtbot, form)
    tick(qtbot, form.consent)
    with qtbot.waitSignal(form.sig_saved, timeout=5000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, form, "Surname", "OBRIEN")
    type_into(qtbot, form, "Forenames", "Sean")
    type_into(qtbot, form, "Date of birth", "01/05/1990")
    qtbot.waitUntil(lambda: form.matches_box.isVisible(), timeout=5000)
    assert form.matches_list.count() == 1
    assert "O'BRIEN" in form.matches_list.item(0).text()
    qtbot.mouseClick(form.use_match_button, Qt.MouseButton.LeftButton)
    assert form.person is not None and form.person.reference == "P000001"
    assert "Known person P000001" in form.person_banner.text()


@pytest.mark.parametrize(
    ("typed", "shown", "age"),
    [
        ("14031990", "14/03/1990", 35),
        ("14/03/90", "14/03/1990", 35),
        ("1/1/30", "01/01/1930", 96),  # 2030 would be in the future: the previous century
        ("09/03/08", "09/03/2008", 18),
    ],
)
def test_a_date_of_birth_typed_short_is_understood(qtbot, form: IntakeForm, typed: str, shown: str, age: int) -> None:
    fill_adult(qtbot, form, dob=typed)
    tick(qtbot, form.consent)
    assert form.decision_label.text() == "Eligible for diversion"
    assert form.pathway_label.text().startswith(f"Aged {age} on the incident date")
    form.date_of_birth.setFocus()
    qtbot.keyClick(form.date_of_birth, Qt.Key.Key_Tab)  # leaving the field shows the date read
    assert form.date_of_birth.text() == shown
    assert not form.fields["date_of_birth"].error.isVisible()
