"""Адміністрування: which buildings each inspector (контролер) may work with."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from ..models import InspectorBuilding
from .base import OblikModelView
from .labels import LABELS
from .lookup import LookupSpec, register_lookup

register_lookup("user", LookupSpec(
    User, "InspectorBuilding",
    lambda s, t: s.where(or_(User.username.ilike(f"{t}%"), User.last_name.ilike(f"%{t}%"))),
    lambda: [User.username]))


class InspectorBuildingView(OblikModelView):
    datamodel = SQLAInterface(InspectorBuilding)
    class_permission_name = "InspectorBuilding"
    label_columns = LABELS
    list_title = _l("Inspector buildings")
    show_title = add_title = edit_title = _l("Inspector building")
    list_columns = ["user", "building"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["user", "building"]
