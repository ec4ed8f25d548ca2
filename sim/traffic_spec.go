package sim

// Traffic is the request load and how each version answers it.
type Traffic struct {
	Mesh           string         `json:"mesh,omitempty"`
	Route          string         `json:"route,omitempty"`
	RPS            *float64       `json:"rps,omitempty"`
	ScrapeInterval *Duration      `json:"scrapeInterval,omitempty"`
	Noise          string         `json:"noise,omitempty"`
	Stable         Behaviour      `json:"stable,omitempty"`
	Canary         Behaviour      `json:"canary,omitempty"`
	Events         []TrafficEvent `json:"events,omitempty"`
}

// Behaviour is how one version of the service answers requests.
type Behaviour struct {
	ErrorRate *float64 `json:"errorRate,omitempty"`
}

// TrafficEvent changes the load or a version's behaviour at a virtual time.
type TrafficEvent struct {
	At     Duration   `json:"at"`
	RPS    *float64   `json:"rps,omitempty"`
	Stable *Behaviour `json:"stable,omitempty"`
	Canary *Behaviour `json:"canary,omitempty"`
}
