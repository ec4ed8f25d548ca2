package scenario

import "testing"

func TestActionCheck(t *testing.T) {
	if err := (Action{}).check(); err == nil {
		t.Error("an empty action must be rejected")
	}
	if err := (Action{Promote: &struct{}{}, Abort: &struct{}{}}).check(); err == nil {
		t.Error("two verbs in one action must be rejected")
	}
	if err := (Action{Update: &Update{}}).check(); err == nil {
		t.Error("an update without an image must be rejected")
	}
	if err := (Action{Retry: &struct{}{}}).check(); err != nil {
		t.Error(err)
	}
}
