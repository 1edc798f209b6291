"""Build hook of Oblik (the rest of the packaging is in pyproject.toml).

Every wheel compiles the catalogues of ``translations/<lang>/LC_MESSAGES/messages.po`` into the
package (``app/translations/<lang>/LC_MESSAGES/messages.mo``) while it is built, so an installed
Oblik speaks Ukrainian and its ``.mo`` is always the one of the ``.po`` it was built from: no
compiled file is taken from the source tree, and a missing or broken catalogue fails the build.
An editable install (``make install``) skips this: a checkout reads ``translations/`` itself.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CATALOGUES = "translations/*/LC_MESSAGES/messages.po"
REQUIRED = ("uk",)  # the default language: no wheel without it


def compile_catalogues(source: Path, package_dir: Path) -> list[Path]:
    """Compile each ``messages.po`` under ``source`` into ``package_dir/translations``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    pos = sorted(source.glob(CATALOGUES))
    missing = [lang for lang in REQUIRED if source / "translations" / lang / "LC_MESSAGES" / "messages.po" not in pos]
    if missing:
        raise SystemExit(f"oblik build: no catalogue translations/{missing[0]}/LC_MESSAGES/messages.po")
    written = []
    for po in pos:
        lang = po.parent.parent.name
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=lang)
        errors = [f"{po.relative_to(source)}:{message.lineno}: {message.id!r}: {error}"
                  for message, problems in catalog.check() for error in problems]
        if errors:
            raise SystemExit("oblik build: the catalogue has errors:\n" + "\n".join(errors))
        target = package_dir / "translations" / lang / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as stream:
            write_mo(stream, catalog)  # fuzzy entries are left out, as pybabel compile does
        written.append(target)
    return written


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        self._catalogues = []
        if not self.editable_mode:
            self._catalogues = compile_catalogues(HERE, Path(self.build_lib) / "app")

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [str(p) for p in getattr(self, "_catalogues", [])]


if __name__ == "__main__":  # as setuptools runs it (tests import compile_catalogues from it)
    setup(cmdclass={"build_py": BuildPyWithCatalogues})
