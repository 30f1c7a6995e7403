#!/usr/bin/env bash
# Pushes the training image built by the pipeline's Build stage to the environment's registry and
# points the training job at it.
# Usage: infra/scripts/push-training-image.sh IMAGE_TARBALL REGISTRY_NAME RESOURCE_GROUP JOB_NAME TAG
set -euo pipefail
tarball="${1:?image tarball (docker save | gzip)}"
registry="${2:?registry name}"
resource_group="${3:?resource group}"
job="${4:?training job name}"
tag="${5:?image tag}"
repository="lims-mlops-train"

loaded="$(gunzip -c "$tarball" | docker load | sed -n 's/^Loaded image: //p' | head -n1)"
[ -n "$loaded" ] || { echo "push-training-image: no image in $tarball" >&2; exit 1; }
login_server="$(az acr show --name "$registry" --query loginServer -o tsv)"
image="$login_server/$repository:$tag"

az acr login --name "$registry" --only-show-errors
docker tag "$loaded" "$image"
docker push "$image"

az config set extension.use_dynamic_install=yes_without_prompt --only-show-errors >/dev/null
az containerapp job update --name "$job" --resource-group "$resource_group" --image "$image" --only-show-errors -o none
echo "training job $job runs $image"
