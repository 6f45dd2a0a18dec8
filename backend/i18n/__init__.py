"""Translation tooling for `nmirf i18n`: keeping the gettext catalogues in step with the code
(catalogs.py) and what each message kind costs by SMS in each language (segments_table.py).
The catalogues themselves are read by conversations/i18n.py."""
