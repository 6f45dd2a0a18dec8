"""Admin users: created from the CLI (`nmirf admin create-user`) or by an admin in the pages;
never a default account. Changing a password or disabling a user ends all their sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.accounts import passwords
from backend.accounts.models import ROLES, AdminUser, WebSession


class AccountError(ValueError):
    """Something a person can fix: the message says what."""


def normal(username: str) -> str:
    return username.strip().lower()


def find(session: Session, username: str) -> AdminUser | None:
    return session.scalar(select(AdminUser).where(AdminUser.username == normal(username)))


def create(session: Session, *, username: str, password: str, role: str, now: datetime) -> AdminUser:
    name = normal(username)
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise AccountError("a user name is 1 to 80 characters without spaces")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if find(session, name):
        raise AccountError(f"there is already a user {name!r}")
    try:
        passwords.check_strength(password, username=name)
    except passwords.WeakPassword as exc:
        raise AccountError(str(exc)) from None
    user = AdminUser(
        username=name,
        password_hash=passwords.hash_password(password),
        role=role,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> AdminUser | None:
    """The active user with this name and password, or None (same cost either way)."""
    user = find(session, username)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def set_password(session: Session, user: AdminUser, password: str, now: datetime) -> None:
    try:
        passwords.check_strength(password, username=user.username)
    except passwords.WeakPassword as exc:
        raise AccountError(str(exc)) from None
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    end_sessions(session, user.id)


def set_active(session: Session, user: AdminUser, active: bool) -> None:
    user.active = active
    if not active:
        end_sessions(session, user.id)


def set_role(session: Session, user: AdminUser, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    user.role = role
    end_sessions(session, user.id)  # the new role takes effect at the next sign-in


def listing(session: Session) -> list[AdminUser]:
    return list(session.scalars(select(AdminUser).order_by(AdminUser.username)))


def set_preferences(session: Session, user: AdminUser, *, language: str, timezone: str) -> None:
    """The user's own language and time zone for the pages ("" for the deployment's default);
    the caller has checked them against the languages and zones offered. Every request reads them
    with the session (sessions.current), so they apply from the next page."""
    user.language = language
    user.timezone = timezone
