package probes

import "io"

// NNTP confirms a news server (RFC 3977 §5.1) on 119 by its greeting: 200
// posting allowed, 201 posting prohibited (400 and 502: service not available).
var NNTP = &Service{
	Name: "nntp", Ports: []uint16{119},
	Drift: []DriftField{{Path: "banner", Meaning: "the greeting changed: other software or another server answers"}},
	New: func(io.Reader, string) (Dialog, error) {
		return &greetingDialog{d: ServiceDetail{Service: "nntp"}, want: "an NNTP 200/201 greeting", codes: []string{"200", "201"}, refuse: "502"}, nil
	},
}
