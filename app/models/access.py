"""Which buildings an inspector (контролер) may see: the only source of that rule."""
from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
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
