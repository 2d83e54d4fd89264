#!/usr/bin/env bash
# Prints (never runs) the `az` commands that create keyrelay's pipeline identity and grant it what
# docs/permissions.md lists: the app registration and service principal, a federated credential
# for GitHub Actions or Azure DevOps, the Microsoft Graph application permissions with admin
# consent, and the vault and Event Grid role assignments. Review the output, then run it as someone
# who may consent to application permissions (Privileged Role Administrator or Global
# Administrator) and assign roles on the vault (Owner or User Access Administrator there).
#
#   bash docs/bootstrap.sh --platform github --github-repo contoso/platform-secrets \
#        --vault-id /subscriptions/<sub>/resourceGroups/rg-platform/providers/Microsoft.KeyVault/vaults/kv-platform > grant.sh
#
# Every flag can be given as an environment variable instead (shown in brackets).
#   --platform github|azure-devops     [KEYRELAY_PLATFORM]      which federated credential to create
#   --name NAME                        [KEYRELAY_IDENTITY_NAME] display name (default keyrelay-rotation)
#   --github-repo ORG/REPO             [KEYRELAY_GITHUB_REPO]   GitHub: the repository running the workflow
#   --github-ref REF                   [KEYRELAY_GITHUB_REF]    GitHub: branch ref (default refs/heads/main)
#   --ado-org-id GUID                  [KEYRELAY_ADO_ORG_ID]    Azure DevOps: organization id (issuer https://vstoken.dev.azure.com/<id>)
#   --ado-org NAME --ado-project NAME --ado-connection NAME     Azure DevOps: subject sc://<org>/<project>/<connection>
#                                      [KEYRELAY_ADO_ORG, KEYRELAY_ADO_PROJECT, KEYRELAY_ADO_CONNECTION]
#                                      (the service connection's page shows the issuer and subject it expects)
#   --vault-id ARM_ID                  [KEYRELAY_VAULT_ID]      the Key Vault (Azure RBAC permission model)
#   --owners                           [KEYRELAY_OWNERS=1]      you declare owners besides the pipeline: Directory.Read.All
#   --user-owners                      [KEYRELAY_USER_OWNERS=1] some of them are users: also User.Read.All
#   --all-apps                         [KEYRELAY_ALL_APPS=1]    Application.ReadWrite.All instead of ...OwnedBy
#   --readers                          [KEYRELAY_READERS=1]     the program uses `readers`
#   --alerts RESOURCE_GROUP_ID         [KEYRELAY_ALERTS_SCOPE]  ExpiryAlerts creates the system topic in this group
#   --alerts-existing-topic RG_ID      [KEYRELAY_ALERTS_EXISTING_SCOPE] ExpiryAlerts with existingSystemTopicName
#   --audit                            [KEYRELAY_AUDIT=1]       the identity also runs `keyrelay audit`
#   --read-values                      [KEYRELAY_READ_VALUES=1] ... with --read-values
#   --sign-ins                         [KEYRELAY_SIGN_INS=1]    ... with sign-in evidence (Entra ID P1/P2)
#   --doctor                           [KEYRELAY_DOCTOR=1]      the identity also runs `keyrelay doctor`
#   --audit-user OBJECT_ID             [KEYRELAY_AUDIT_USER]    a person who runs `keyrelay audit`: Global Reader
set -euo pipefail

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
# Ids from docs/permissions.md ("Identifiers"), each from Microsoft Learn. Functions, not associative
# arrays, so the script runs in macOS's bash 3.2 too.
graph_role_id() {
  case $1 in
    "Application.ReadWrite.OwnedBy") echo 18a4783c-866b-4cc7-a460-3d5e5662c884 ;;
    "Application.ReadWrite.All") echo 1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9 ;;
    "Directory.Read.All") echo 7ab1d382-f21e-4acd-a863-ba3e13f7da61 ;;
    "User.Read.All") echo df021288-bdef-4463-88db-98f22de89214 ;;
    "Application.Read.All") echo 9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30 ;;
    "Policy.Read.All") echo 246dd0d5-5bd0-4def-940b-0421030a5b68 ;;
    "AuditLog.Read.All") echo b0afded3-3588-46d8-8b3d-9842eff778da ;;
    *) fail "no id for Graph permission $1" ;;
  esac
}
azure_role_id() {
  case $1 in
    "Key Vault Secrets Officer") echo b86a8fe4-44ce-4948-aee5-eccb2c155cd7 ;;
    "Key Vault Secrets User") echo 4633458b-17de-408a-b874-0445c86b69e6 ;;
    "Key Vault Reader") echo 21090545-7ca7-4776-b22c-e363652d74d2 ;;
    "Key Vault Data Access Administrator") echo 8b54135c-b56d-4d72-a534-26097cfdc8d8 ;;
    "EventGrid Contributor") echo 1e241071-0855-49ea-94dc-649edcd759de ;;
    "EventGrid EventSubscription Contributor") echo 428e0ff0-5e57-4d9c-a221-2c70d0e0a443 ;;
    *) fail "no id for role $1" ;;
  esac
}
GLOBAL_READER_TEMPLATE_ID=f2ef992c-3afb-46b9-b7cf-a126ee74c451

platform=${KEYRELAY_PLATFORM:-}
name=${KEYRELAY_IDENTITY_NAME:-keyrelay-rotation}
github_repo=${KEYRELAY_GITHUB_REPO:-}
github_ref=${KEYRELAY_GITHUB_REF:-refs/heads/main}
ado_org_id=${KEYRELAY_ADO_ORG_ID:-}
ado_org=${KEYRELAY_ADO_ORG:-}
ado_project=${KEYRELAY_ADO_PROJECT:-}
ado_connection=${KEYRELAY_ADO_CONNECTION:-}
vault_id=${KEYRELAY_VAULT_ID:-}
owners=${KEYRELAY_OWNERS:-}
user_owners=${KEYRELAY_USER_OWNERS:-}
all_apps=${KEYRELAY_ALL_APPS:-}
readers=${KEYRELAY_READERS:-}
alerts_scope=${KEYRELAY_ALERTS_SCOPE:-}
alerts_existing_scope=${KEYRELAY_ALERTS_EXISTING_SCOPE:-}
audit=${KEYRELAY_AUDIT:-}
read_values=${KEYRELAY_READ_VALUES:-}
sign_ins=${KEYRELAY_SIGN_INS:-}
doctor=${KEYRELAY_DOCTOR:-}
audit_user=${KEYRELAY_AUDIT_USER:-}

fail() { echo "bootstrap.sh: $*" >&2; exit 2; }
needs_value() { [[ $# -ge 2 && -n $2 ]] || fail "$1 needs a value; see the comment at the top of docs/bootstrap.sh"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --platform) needs_value "$@"; platform=$2; shift 2 ;;
    --name) needs_value "$@"; name=$2; shift 2 ;;
    --github-repo) needs_value "$@"; github_repo=$2; shift 2 ;;
    --github-ref) needs_value "$@"; github_ref=$2; shift 2 ;;
    --ado-org-id) needs_value "$@"; ado_org_id=$2; shift 2 ;;
    --ado-org) needs_value "$@"; ado_org=$2; shift 2 ;;
    --ado-project) needs_value "$@"; ado_project=$2; shift 2 ;;
    --ado-connection) needs_value "$@"; ado_connection=$2; shift 2 ;;
    --vault-id) needs_value "$@"; vault_id=$2; shift 2 ;;
    --owners) owners=1; shift ;;
    --user-owners) owners=1; user_owners=1; shift ;;
    --all-apps) all_apps=1; shift ;;
    --readers) readers=1; shift ;;
    --alerts) needs_value "$@"; alerts_scope=$2; shift 2 ;;
    --alerts-existing-topic) needs_value "$@"; alerts_existing_scope=$2; shift 2 ;;
    --audit) audit=1; shift ;;
    --read-values) audit=1; read_values=1; shift ;;
    --sign-ins) sign_ins=1; shift ;;
    --doctor) doctor=1; shift ;;
    --audit-user) needs_value "$@"; audit_user=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) fail "unknown option $1; see the comment at the top of docs/bootstrap.sh" ;;
  esac
done

guid='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
plain='^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$'
rg_id='^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[A-Za-z0-9._()-]+$'
[[ $name =~ $plain ]] || fail "--name \"$name\": use letters, digits, spaces, . _ - (at most 64)"
[[ $vault_id =~ ^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[A-Za-z0-9._()-]+/providers/Microsoft\.KeyVault/vaults/[A-Za-z0-9-]{3,24}$ ]] \
  || fail "--vault-id: give the vault's ARM id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name> (az keyvault show -n <name> --query id -o tsv)"
case $platform in
  github)
    [[ $github_repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "--github-repo: give ORG/REPO, the repository whose workflow signs in"
    [[ $github_ref =~ ^refs/(heads|tags)/[A-Za-z0-9_./-]+$ ]] || fail "--github-ref \"$github_ref\": give a ref such as refs/heads/main"
    issuer=https://token.actions.githubusercontent.com
    subject="repo:$github_repo:ref:$github_ref" ;;
  azure-devops)
    [[ $ado_org_id =~ $guid ]] || fail "--ado-org-id: the Azure DevOps organization id (a GUID; the service connection's page shows the issuer https://vstoken.dev.azure.com/<id>)"
    for v in ado_org ado_project ado_connection; do
      [[ ${!v} =~ $plain ]] || fail "--${v//_/-}: needed for the subject sc://<org>/<project>/<connection>"
    done
    issuer="https://vstoken.dev.azure.com/$ado_org_id"
    subject="sc://$ado_org/$ado_project/$ado_connection" ;;
  *) fail "--platform: github or azure-devops" ;;
esac
for v in alerts_scope alerts_existing_scope; do
  [[ -z ${!v} || ${!v} =~ $rg_id ]] || fail "--${v//_/-}: give the resource group's ARM id, /subscriptions/<id>/resourceGroups/<group>"
done
[[ -z $audit_user || $audit_user =~ $guid ]] || fail "--audit-user: give the person's object id (az ad user show --id <upn> --query id -o tsv)"

graph_permissions=()
if [[ -n $all_apps ]]; then graph_permissions+=(Application.ReadWrite.All); else graph_permissions+=(Application.ReadWrite.OwnedBy); fi
[[ -n $owners ]] && graph_permissions+=(Directory.Read.All)
[[ -n $user_owners ]] && graph_permissions+=(User.Read.All)
[[ -n $audit ]] && graph_permissions+=(Application.Read.All Policy.Read.All)
[[ -n $doctor && -z $audit ]] && graph_permissions+=(Policy.Read.All)
[[ -n $sign_ins ]] && graph_permissions+=(AuditLog.Read.All)

# Every value was checked above to hold no quote, so single quotes print it as it is.
q() { [[ $1 != *"'"* ]] || fail "a value holds a quote: $1"; printf "'%s'" "$1"; }
assign() { # role name, scope
  echo "az role assignment create --assignee-object-id \"\$SP_ID\" --assignee-principal-type ServicePrincipal --role $(azure_role_id "$1") --scope $(q "$2")  # $1"
}

cat <<EOF
#!/usr/bin/env bash
# Generated by keyrelay docs/bootstrap.sh: what docs/permissions.md grants the pipeline identity.
set -euo pipefail

# 1. The pipeline identity: an app registration and its service principal (no client secret).
APP_ID=\$(az ad app create --display-name $(q "$name") --query appId -o tsv)
SP_ID=\$(az ad sp create --id "\$APP_ID" --query id -o tsv)

# 2. Its federated credential ($platform): tokens from this issuer and subject only.
az ad app federated-credential create --id "\$APP_ID" --parameters $(q "{\"name\":\"keyrelay-$platform\",\"issuer\":\"$issuer\",\"subject\":\"$subject\",\"audiences\":[\"api://AzureADTokenExchange\"]}")

# 3. Microsoft Graph application permissions, then admin consent.
EOF
for permission in "${graph_permissions[@]}"; do
  echo "az ad app permission add --id \"\$APP_ID\" --api $GRAPH_APP_ID --api-permissions $(graph_role_id "$permission")=Role  # $permission"
done
echo "az ad app permission admin-consent --id \"\$APP_ID\""
echo
echo "# 4. Roles on the vault (Azure RBAC permission model; a vault on access policies ignores them)."
assign "Key Vault Secrets Officer" "$vault_id"
[[ -n $readers ]] && assign "Key Vault Data Access Administrator" "$vault_id"
[[ -n $audit && -z $read_values ]] && assign "Key Vault Reader" "$vault_id"
[[ -n $read_values ]] && assign "Key Vault Secrets User" "$vault_id"
if [[ -n $alerts_scope || -n $alerts_existing_scope ]]; then
  echo
  echo "# 5. ExpiryAlerts: Event Grid, once per subscription the provider registration."
  echo "az provider register --namespace Microsoft.EventGrid"
  [[ -n $alerts_scope ]] && assign "EventGrid Contributor" "$alerts_scope"
  [[ -n $alerts_existing_scope ]] && assign "EventGrid EventSubscription Contributor" "$alerts_existing_scope"
fi
if [[ -n $audit_user ]]; then
  echo
  echo "# 6. The person who runs keyrelay audit: the Global Reader directory role."
  echo "az rest --method POST --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments --body $(q "{\"principalId\":\"$audit_user\",\"roleDefinitionId\":\"$GLOBAL_READER_TEMPLATE_ID\",\"directoryScopeId\":\"/\"}")  # Global Reader"
fi
cat <<'EOF'

# Pipeline variables: AZURE_CLIENT_ID (below), AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID.
echo "AZURE_CLIENT_ID=$APP_ID"
az account show --query '{AZURE_TENANT_ID: tenantId, AZURE_SUBSCRIPTION_ID: id}' -o tsv
EOF
