"""The start page: what the user can open, with a few counts of their own scope."""
from flask_appbuilder import IndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Account, Building, Meter, Premise
from .scope import scope_query


class OblikIndexView(IndexView):
    index_template = "oblik/index.html"

    @expose("/")
    def index(self):
        counts = None
        if getattr(current_user, "is_authenticated", False):
            sm = self.appbuilder.sm
            counts = {}
            for key, model, resource in (("buildings", Building, "Building"), ("premises", Premise, "Premise"),
                                         ("accounts", Account, "Account"), ("meters", Meter, "Meter")):
                if sm.has_access("can_list", resource):
                    stmt = scope_query(db.session, model, select(func.count()).select_from(model))
                    counts[key] = db.session.scalar(stmt)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, counts=counts)
