package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/kube"
	"github.com/rollsim/rollsim/sim/scenario"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// rollsim serve --apiserver envtest: the clock steps on stdin and over HTTP, and
// the objects are on the server for anyone with the kubeconfig.
func TestServeEnvtest(t *testing.T) {
	if os.Getenv("ROLLSIM_ENVTEST") == "0" && os.Getenv("CI") == "" {
		t.Skip("ROLLSIM_ENVTEST=0: envtest backend not tested")
	}
	if d, err := kube.FindEnvtestAssets(); err == nil {
		t.Setenv("KUBEBUILDER_ASSETS", d)
	}
	var out syncBuffer
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	addrc := make(chan string, 1)
	o := &serveOptions{file: "../../scenarios/inline-analysis-abort.yaml", listen: "127.0.0.1:0", out: &out, apiserver: "envtest",
		kubeconfig: kubeconfig, ready: func(a string) { addrc <- a }}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	in, err := scenario.Load(o.file)
	if err != nil {
		t.Fatal(err)
	}
	stdin, typed := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- (&serveEnvtest{o: o, in: stdin, kubeconfig: kubeconfig}).run(ctx, in) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}

	// Through the warmup to t=0 on stdin, then past the abort over HTTP.
	if _, err := io.WriteString(typed, "step 15m\n"); err != nil {
		t.Fatal(err)
	}
	// The stdin step runs on its own goroutine: wait until it has been applied
	// before stepping over HTTP, so the two steps add up whatever the scheduling.
	waitStatus(t, addr, "t=0s:")
	resp, err := http.Post("http://"+addr+"/rollsim/step?by=10m", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Status string }
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /rollsim/step: %d %v", resp.StatusCode, err)
	}
	if !strings.HasPrefix(st.Status, "t=10m0s: Rollout my-flask-app Degraded") || !strings.Contains(st.Status, "verdict: Aborted") {
		t.Errorf("status after the steps: %s", st.Status)
	}

	// What kubectl would see.
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := v1alpha1.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	var runs v1alpha1.AnalysisRunList
	if err := c.List(ctx, &runs, client.InNamespace("joel-test")); err != nil {
		t.Fatal(err)
	}
	if len(runs.Items) != 1 || runs.Items[0].Status.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("AnalysisRuns on the server: %+v", runs.Items)
	}

	if _, err := io.WriteString(typed, "quit\n"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "kubectl --kubeconfig "+kubeconfig+" -n joel-test get rollouts") {
		t.Errorf("banner: %s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitStatus polls GET /rollsim/status until the status starts with prefix.
func waitStatus(t *testing.T, addr, prefix string) {
	t.Helper()
	var last string
	for i := 0; i < 600; i++ {
		resp, err := http.Get("http://" + addr + "/rollsim/status")
		if err == nil {
			var st struct{ Status string }
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil {
				last = st.Status
				if strings.HasPrefix(last, prefix) {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("status never reached %q; last: %s", prefix, last)
}
