package main

import (
	"flag"
	"io"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// setupLogs decides what the libraries may print on stderr. Without -v nothing:
// controller-runtime (which otherwise prints "log.SetLogger(...) was never
// called" with a stack trace once envtest is used) and klog (client-go) both
// get a logger that discards. With -v both log through klog to stderr, at
// klog verbosity 2.
func setupLogs(verbose bool) {
	if !verbose {
		ctrllog.SetLogger(logr.Discard())
		klog.SetLogger(logr.Discard())
		klog.SetOutput(io.Discard)
		klog.LogToStderr(false)
		return
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", "2")
	_ = fs.Set("logtostderr", "true")
	ctrllog.SetLogger(klog.NewKlogr())
}
