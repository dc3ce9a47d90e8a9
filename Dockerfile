# syntax=docker/dockerfile:1
# Lanner image: one image for both instance kinds (audit Deployment, syscall DaemonSet).
#   docker build -t lanner:0.1.0 .
# Node 24, the Active LTS with the longest support ahead (security fixes until April 2028); Node 20
# reached end of life in April 2026. package.json `engines` says >=22; the code and tests still
# run on 20 where a machine has not moved yet (client-node's undici is pinned to a 20-compatible one).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- 1. TypeScript → dist/, then production dependencies only
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- 2. eBPF probe: CO-RE object and its helper, with clang/libbpf/bpftool from Debian.
# vmlinux.h comes from the build host's /sys/kernel/btf/vmlinux (CO-RE relocates at load time, so
# the result runs on other kernels with BTF); set LANNER_BTF to build from another BTF file.
FROM ${DEBIAN_IMAGE} AS probe
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY scripts/build-probe.sh ./scripts/build-probe.sh
COPY src/syscall/bpf ./src/syscall/bpf
COPY src/syscall/helper ./src/syscall/helper
ARG LANNER_BTF=/sys/kernel/btf/vmlinux
RUN LANNER_BTF=${LANNER_BTF} LANNER_PROBE_OUT=/app/build/syscall sh scripts/build-probe.sh

# ---- 3. runtime: Node, the libraries the helper links against, nothing to build with
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 libelf1 zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 lanner \
 && useradd --system --uid 10001 --gid lanner --no-create-home --shell /usr/sbin/nologin lanner
WORKDIR /app
ENV NODE_ENV=production \
    LANNER_PROBE_HELPER=/app/build/syscall/lanner-probe
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY rules ./rules
COPY --from=probe /app/build/syscall/lanner-probe ./build/syscall/lanner-probe
# Audit mode runs as this user; the syscall DaemonSet overrides it (runAsUser: 0 with only the
# BPF/PERFMON/… capabilities) because loading eBPF needs them effective.
USER 10001:10001
EXPOSE 9765 8765
ENTRYPOINT ["node", "/app/bin/lanner.js"]
CMD ["serve"]
