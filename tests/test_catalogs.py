"""Every user-facing string is in the gettext catalogues, which are complete and not fuzzy."""

from backend.i18n import catalogs


def test_catalogues_are_complete_and_up_to_date():
    """`nmirf i18n check` finds nothing: no message missing, untranslated, fuzzy or mis-placeholdered."""
    assert catalogs.check() == []


def test_missing_translations_fall_back_to_the_deployment_default_then_english():
    """A person whose language has no catalogue (rw) reads the deployment's default language;
    text no catalogue has stays as written."""
    from conversations import i18n

    assert i18n.T("rw", "es")("Report cancelled.") == i18n.T("es")("Report cancelled.") != "Report cancelled."
    assert i18n.T("fr", "es")("Report cancelled.") == "Rapport annulé."
    assert i18n.T("rw", "es")("Not a catalogued text") == "Not a catalogued text"
    assert i18n.T("rw")("Report cancelled.") == "Report cancelled."
