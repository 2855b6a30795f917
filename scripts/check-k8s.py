#!/usr/bin/env python3
"""Checks deploy/k8s/: every manifest against Kubernetes' OpenAPI schemas (kubernetes-validate,
strict: unknown fields are errors), and writes the ConfigMap's files (manifest.json,
pipeline.json) into OUT_DIR so the caller can check them as crashsift files.

Usage: check-k8s.py K8S_DIR OUT_DIR [KUBERNETES_VERSION]
Prints one line per problem; exit status 1 when there is one. Offline: the schemas ship with the
package (scripts/test-requirements.txt).
"""
import os
import sys

import kubernetes_validate
import yaml


def main():
    folder, out = sys.argv[1], sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else "1.30.0"
    problems = []
    names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml"))
    if not names:
        problems.append(f"{folder}: no .yaml manifests")
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            documents = [d for d in yaml.safe_load_all(f) if d]
        for document in documents:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{name}: {error.message} at {'/'.join(map(str, error.path))}")
            except Exception as error:  # an unknown kind or version is a problem too
                problems.append(f"{name}: {error}")
            if document.get("kind") == "ConfigMap":
                os.makedirs(out, exist_ok=True)
                for key, value in (document.get("data") or {}).items():
                    with open(os.path.join(out, key), "w", encoding="utf-8") as f:
                        f.write(value)
    for problem in problems:
        print(problem)
    print(f"checked {len(names)} manifests against Kubernetes {version}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
