"""Schemathesis hooks for tests/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

YAML bodies (POST /admin/v1/apply with `Content-Type: application/yaml`)
are written with every string quoted. Schemathesis's own writer is PyYAML,
which follows YAML 1.1 and leaves a string such as `0e78` or `1_0` bare;
Switchboard reads YAML 1.2, where those are numbers, and refuses the file
with 400 invalid_body naming the field. A person writing the file quotes
such values (README says so); the generated files do the same, so a
refusal is the server's, never the writer's.
"""

import schemathesis
import yaml


class _QuotedStrings(yaml.SafeDumper):
    pass


def _quoted(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')


_QuotedStrings.add_representer(str, _quoted)


# Every YAML media type: schemathesis picks the first registered one of the
# family, so replacing application/yaml alone would not take.
@schemathesis.serializer(
    "text/yaml", "text/x-yaml", "text/vnd.yaml", "text/yml", "application/yaml", "application/x-yaml"
)
def yaml_with_quoted_strings(ctx, value):
    if isinstance(value, bytes):
        return value
    return yaml.dump(value, Dumper=_QuotedStrings, allow_unicode=True).encode()
