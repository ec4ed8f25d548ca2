# rollsim in a container: a static binary on distroless, running as non-root.
#   docker build -t rollsim --build-arg ROLLSIM_VERSION=v0.1.0 .
#   docker run --rm -v "$PWD:/work" rollsim test scenarios/
# The image has the in-memory API backend only (--apiserver envtest needs the
# kube-apiserver and etcd binaries of hack/envtest-assets.sh).

# The build stage runs hack/build.sh, the same build CI runs.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG ROLLSIM_VERSION=""
RUN ROLLSIM_VERSION="${ROLLSIM_VERSION}" ./hack/build.sh /out/rollsim

# distroless static: no shell, no libc, CA certificates and a nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rollsim /usr/local/bin/rollsim
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/rollsim"]
CMD ["--help"]
