"""Every user-facing string is in the gettext catalogues, which are complete and not fuzzy."""
from backend import catalogs


def test_catalogues_are_complete_and_up_to_date():
    """`nmirf i18n check` finds nothing: no message missing, untranslated, fuzzy or mis-placeholdered."""
    assert catalogs.check() == []
