# shellcheck shell=bash
# What infra/deploy.sh and infra/destroy.sh do alike; each sources this
# file once it has read its options (DRY, REGION).

# `--region REGION` for the AWS CLI when a region was given, else nothing
# (the sourcing script passes it on).
# shellcheck disable=SC2034
REGION_ARGS=()
if [ -n "$REGION" ]; then REGION_ARGS=(--region "$REGION"); fi

# Run a command; with --dry-run (DRY=1), print it instead.
run() {
  if [ "$DRY" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}
