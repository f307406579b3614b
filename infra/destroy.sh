#!/usr/bin/env bash
# Remove a Switchboard stack. The DynamoDB table (conversations, contacts,
# configuration) and the secrets are kept unless --delete-data says
# otherwise. Run `infra/destroy.sh --help`.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: infra/destroy.sh [options]

Empties the console's bucket (build output only) and deletes the
CloudFormation stack. The table is kept (the template retains
it, with deletion protection on by default), and so are the app secrets and
page tokens in Secrets Manager, so a new stack can take the data over.

Options:
  --stack NAME     stack name (default: $SWITCHBOARD_STACK or "switchboard")
  --region REGION  AWS region (default: $AWS_REGION, else the CLI's configuration)
  --delete-data    also delete the table (turning its deletion protection off)
                   and the stack's secrets: this cannot be undone
  --yes            do not ask before deleting data
  --dry-run        print the commands instead of running them
  -h, --help       this text
USAGE
}

STACK="${SWITCHBOARD_STACK:-switchboard}"
REGION="${AWS_REGION:-}"
DELETE_DATA=0
YES=0
DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) STACK="${2:?--stack needs a name}"; shift 2 ;;
    --region) REGION="${2:?--region needs a region}"; shift 2 ;;
    --delete-data) DELETE_DATA=1; shift ;;
    --yes) YES=1; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "destroy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=infra/common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
aws_() { run aws "$@" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}"; }

output() {
  aws cloudformation describe-stacks --stack-name "$STACK" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

TABLE=""
CONSOLE_BUCKET="<ConsoleBucketName>"
if [ "$DRY" = 0 ]; then
  TABLE="$(output TableName)"
  CONSOLE_BUCKET="$(output ConsoleBucketName)"
fi

if [ "$DELETE_DATA" = 1 ] && [ "$YES" = 0 ] && [ "$DRY" = 0 ]; then
  read -r -p "Delete stack $STACK AND its table $TABLE and secrets for good? Type the stack name: " answer
  [ "$answer" = "$STACK" ] || { echo "destroy.sh: not confirmed; nothing deleted" >&2; exit 1; }
fi

# The console's bucket holds only build output; CloudFormation deletes
# only an empty bucket.
if [ -n "$CONSOLE_BUCKET" ] && [ "$CONSOLE_BUCKET" != "None" ]; then
  aws_ s3 rm "s3://$CONSOLE_BUCKET" --recursive
fi
aws_ cloudformation delete-stack --stack-name "$STACK"
aws_ cloudformation wait stack-delete-complete --stack-name "$STACK"

if [ "$DELETE_DATA" = 1 ]; then
  TABLE="${TABLE:-<table>}"
  aws_ dynamodb update-table --table-name "$TABLE" --no-deletion-protection-enabled
  aws_ dynamodb delete-table --table-name "$TABLE"
  if [ "$DRY" = 0 ]; then
    for arn in $(aws secretsmanager list-secrets "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
        --filters Key=name,Values="$STACK/switchboard/" --query "SecretList[].ARN" --output text); do
      aws_ secretsmanager delete-secret --secret-id "$arn" --force-delete-without-recovery
    done
  else
    echo "+ aws secretsmanager delete-secret (each secret named $STACK/switchboard/...)"
  fi
  echo "Stack $STACK, its table and its secrets are deleted."
else
  echo "Stack $STACK is deleted. Kept: table ${TABLE:-(the TableName output of the stack)} and the secrets named $STACK/switchboard/...; run with --delete-data to remove them."
fi
