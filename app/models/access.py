"""Which buildings an inspector (контролер) may see: the only source of that rule."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship


class InspectorBuilding(Model):
    __tablename__ = "inspector_building"
    __table_args__ = (UniqueConstraint("user_id", "building_id", name="uq_inspector_building"),)
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    building_id = Column(Integer, ForeignKey("building.id", ondelete="CASCADE"), nullable=False, index=True)
    building = relationship("Building")
    user = relationship("User")

    def __repr__(self):
        return f"{self.user} — {self.building}"


class UserSession(Model):
    """A user's session version: every signed session carries the version it was opened with;
    a logout or a password change bumps it, and every older cookie (and API token) stops
    working on its next request (``app.services.sessions``)."""
    __tablename__ = "user_session"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    version = Column(Integer, nullable=False, default=0, server_default="0")


class LoginThrottle(Model):
    """Failed sign-ins per account (``kind='user'``, the username typed, lower-cased) and per
    client address (``kind='ip'``), shared by every worker process through the database; a
    key with too many failures is locked until ``locked_until``, longer after each lockout
    (``app.services.sessions``)."""
    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_login_throttle"),)
    id = Column(Integer, primary_key=True)
    kind = Column(String(8), nullable=False)
    key = Column(String(256), nullable=False)
    failures = Column(Integer, nullable=False, default=0, server_default="0")
    lockouts = Column(Integer, nullable=False, default=0, server_default="0")
    last_failure = Column(DateTime, nullable=True)
    locked_until = Column(DateTime, nullable=True, index=True)
