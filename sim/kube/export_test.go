package kube

// CheckShared makes the caches created from now on check that the objects
// they hand out for reading only stay unchanged; the returned func turns it
// off and returns the changes found (checking every object still cached).
func CheckShared() func() []string {
	sharedMu.Lock()
	checkShared, sharedCaches, sharedChanges = true, nil, nil
	sharedMu.Unlock()
	return func() []string {
		sharedMu.Lock()
		caches := sharedCaches
		checkShared, sharedCaches = false, nil
		sharedMu.Unlock()
		for _, c := range caches {
			c.checkAll()
		}
		sharedMu.Lock()
		defer sharedMu.Unlock()
		changes := sharedChanges
		sharedChanges = nil
		return changes
	}
}
