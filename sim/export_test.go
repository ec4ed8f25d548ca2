package sim

// SetRunLimits lowers the run loop's limits for a test; the returned func
// restores them.
func SetRunLimits(samples, measurements int) func() {
	old := runLimits
	runLimits.samples, runLimits.measurements = samples, measurements
	return func() { runLimits = old }
}
