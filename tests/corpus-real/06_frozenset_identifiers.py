# A set constant's strings that entered the constant cache first as identifiers (annotation
# keys, keyword names, a class name) are the interned objects already: no rebuild.
class Meta:
    author: str
    name: str
    version: str
    summary: str
    license: str

FIELDS = {
    "author",
    "author_email",
    "description",
    "description_content_type",
    "download_url",
    "home_page",
    "license",
    "license_expression",
    "maintainer",
    "maintainer_email",
    "metadata_version",
    "name",
    "requires_python",
    "summary",
    "version",
}

# Without the identifiers, the same set is rebuilt when its strings are interned.
OTHER = {
    "x_author",
    "x_author_email",
    "x_description",
    "x_download_url",
    "x_home_page",
    "x_license",
    "x_maintainer",
    "x_name",
    "x_summary",
    "x_version",
    "name",
}
