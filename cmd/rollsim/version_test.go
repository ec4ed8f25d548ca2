package main

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	for _, c := range []struct {
		name, ldflags string
		bi            *debug.BuildInfo
		ok            bool
		want          string
	}{
		{"ldflags win", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, true, "v9.9.9"},
		{"module version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, true, "v1.2.3"},
		{"vcs revision", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, true, "(devel) revision 0123456789ab-dirty"},
		{"nothing", "", nil, false, "(devel)"},
	} {
		version = c.ldflags
		if got := buildVersion(c.bi, c.ok); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	version = ""
	if got, want := modelledLine(), "models Argo Rollouts v1.10 (default), v1.9 and v1.8"; got != want {
		t.Errorf("modelledLine() = %q, want %q", got, want)
	}
}
