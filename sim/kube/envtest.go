package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rollsim/rollsim/engine/api/thirdparty"
	"github.com/rollsim/rollsim/sim/scenario"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/crds"
)

// The envtest backend: a real kube-apiserver and etcd (controller-runtime's
// envtest) with the argoproj.io CRDs installed. The simulation runs exactly as
// on the in-memory backend -- same engine, same world, same virtual clock, same
// informer cache -- but every write goes through the API server, so manifests
// are validated against the CRD schemas and built-in validation as a cluster
// would, and kubectl can look at the objects.
//
// One server serves many runs: each run gets namespaces of its own (the
// scenario's namespace name when still free, else the name with a numeric
// suffix) and its own names for cluster-scoped objects, so the runs of
// `rollsim test --apiserver envtest` pay the start once.

// EnvtestOptions configure StartEnvtest.
type EnvtestOptions struct {
	// AssetsDir holds the kube-apiserver and etcd binaries. Empty: FindEnvtestAssets.
	AssetsDir string
}

// Envtest is a running API server shared by the runs given it in Options.
type Envtest struct {
	env *envtest.Environment
	cfg *rest.Config
	raw client.Client
	// StartTime is the wall time the control plane and the CRDs took to come up.
	StartTime time.Duration

	mu       sync.Mutex
	taken    map[string]bool                    // namespaces and cluster-scoped names handed out
	sessions map[*scenario.Input]*serverSession // the latest run of each input
}

// envtestAssets are the binaries envtest starts.
var envtestAssets = []string{"kube-apiserver", "etcd"}

// FindEnvtestAssets returns the folder holding kube-apiserver and etcd:
// $KUBEBUILDER_ASSETS when set, else bin/envtest in the working directory or
// the nearest parent that has one (where hack/envtest-assets.sh builds them).
func FindEnvtestAssets() (string, error) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		if err := checkAssets(d); err != nil {
			return "", fmt.Errorf("KUBEBUILDER_ASSETS: %w", err)
		}
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		d := filepath.Join(dir, "bin", "envtest")
		if checkAssets(d) == nil {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the envtest API server needs kube-apiserver and etcd in bin/envtest (or $KUBEBUILDER_ASSETS): build them with hack/envtest-assets.sh")
		}
		dir = parent
	}
}

func checkAssets(dir string) error {
	for _, b := range envtestAssets {
		st, err := os.Stat(filepath.Join(dir, b))
		if err != nil {
			return err
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable", filepath.Join(dir, b))
		}
	}
	return nil
}

// CRDs returns the CustomResourceDefinitions rollsim installs: argoproj.io's
// and the traffic routers' (engine/api/thirdparty).
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	names, files, err := crds.Files()
	if err != nil {
		return nil, err
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(names))
	for _, n := range names {
		var c apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(files[n], &c); err != nil {
			return nil, fmt.Errorf("CRD %s: %w", n, err)
		}
		out = append(out, &c)
	}
	return append(out, thirdparty.CRDs()...), nil
}

// Waits for a slow start of the API server.
const (
	defaultStartTimeout = 2 * time.Minute
	crdInstallTimeout   = 2 * time.Minute
)

// startTimeout is KUBEBUILDER_CONTROLPLANE_START_TIMEOUT when set (as envtest
// reads it), else defaultStartTimeout.
func startTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return defaultStartTimeout
}

// StartEnvtest starts etcd and kube-apiserver, installs the CRDs and waits until
// they are served. Stop it when done.
func StartEnvtest(opts EnvtestOptions) (*Envtest, error) {
	dir := opts.AssetsDir
	if dir == "" {
		d, err := FindEnvtestAssets()
		if err != nil {
			return nil, err
		}
		dir = d
	} else if err := checkAssets(dir); err != nil {
		return nil, err
	}
	backendOnce.Do(buildBackend)
	if backendErr != nil {
		return nil, backendErr
	}
	defs, err := CRDs()
	if err != nil {
		return nil, err
	}
	// etcd's data is thrown away with the server: no fsync per write (which
	// otherwise dominates every API write on a slow disk).
	etcd := &envtest.Etcd{}
	etcd.Configure().Set("unsafe-no-fsync", "true")
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDs:                  defs,
		Scheme:                backendScheme,
		ErrorIfCRDPathMissing: true,
		// On a loaded machine (load ~12 on 2 cores) the defaults (20 s per
		// component, 10 s for the CRDs to be served) were once too short:
		// wait as long as a slow start takes. KUBEBUILDER_CONTROLPLANE_START_TIMEOUT
		// still overrides the first.
		ControlPlaneStartTimeout: startTimeout(),
		ControlPlaneStopTimeout:  time.Minute,
		CRDInstallOptions: envtest.CRDInstallOptions{
			MaxTime:      crdInstallTimeout,
			PollInterval: 250 * time.Millisecond,
		},
	}
	env.ControlPlane.Etcd = etcd
	// Wall time is read here only, to report what the start cost.
	began := time.Now()
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("starting the envtest API server (assets in %s; waited up to %s per component and %s for the CRDs; a slow or loaded machine may need KUBEBUILDER_CONTROLPLANE_START_TIMEOUT=5m): %w", dir, env.ControlPlaneStartTimeout, crdInstallTimeout, err)
	}
	e := &Envtest{env: env, StartTime: time.Since(began), taken: map[string]bool{}, sessions: map[*scenario.Input]*serverSession{}}
	e.cfg = rest.CopyConfig(cfg)
	// The simulation is the only client: no client-side throttling (the default
	// 5 requests/s would dominate a run), and no warnings on stderr (typed
	// objects carry empty fields such as metadata.creationTimestamp: null in pod
	// templates, which the server prunes with a warning).
	e.cfg.QPS = -1
	e.cfg.WarningHandler = rest.NoWarnings{}
	e.raw, err = client.New(e.cfg, client.Options{Scheme: backendScheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return e, nil
}

// Stop shuts the API server and etcd down and removes their data.
func (e *Envtest) Stop() error {
	if e == nil || e.env == nil {
		return nil
	}
	return e.env.Stop()
}

// Config is a client configuration for the server (admin credentials).
func (e *Envtest) Config() *rest.Config { return rest.CopyConfig(e.cfg) }

// Kubeconfig is a kubeconfig for the server, for kubectl.
func (e *Envtest) Kubeconfig() []byte { return append([]byte(nil), e.env.KubeConfig...) }

// WriteKubeconfig writes Kubeconfig to path (mode 0600: it holds credentials).
func (e *Envtest) WriteKubeconfig(path string) error {
	return os.WriteFile(path, e.Kubeconfig(), 0o600)
}

// claim hands out a server-side name for a run's namespace or cluster-scoped
// object: the name itself while free, else name-2, name-3, ...
func (e *Envtest) claim(space, name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := name
	for n := 2; e.taken[space+"\x00"+got]; n++ {
		got = fmt.Sprintf("%s-%d", name, n)
	}
	e.taken[space+"\x00"+got] = true
	return got
}

// createNamespace makes a run's namespace exist on the server.
func (e *Envtest) createNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "rollsim"}}}
	if err := e.raw.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// ServerNamespace is the namespace on the server of namespace ns in the latest
// run of in.
func (e *Envtest) ServerNamespace(in *scenario.Input, ns string) (string, bool) {
	e.mu.Lock()
	s := e.sessions[in]
	e.mu.Unlock()
	if s == nil {
		return "", false
	}
	got, ok := s.serverNS[ns]
	return got, ok
}
