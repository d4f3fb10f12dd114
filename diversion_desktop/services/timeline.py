"""Appending to a referral's timeline, in words a reader of the case understands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from diversion_desktop.store.models import Referral, TimelineEvent


def add_event(session: Session, referral: Referral, at: datetime, kind: str, text: str, actor: str) -> None:
    session.add(TimelineEvent(referral_id=referral.id, at=at, kind=kind, text=text, actor=actor))
