package scan

import (
	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// requireReasons is the reason each requirement of a service fails its check
// with when the service does not meet it (probes.Requirement).
var requireReasons = map[string]results.Reason{
	probes.SMBSigning.Name: results.ReasonSMBSigningNotRequired,
}

// judgeRequire fails a check that requires of the confirmed service what its
// answer shows it does not do (results.Check.Require): an SMB server that does
// not require signing. An answer that does not say (the conversation ended
// first) fails nothing here: the conversation's own verdict stands.
func judgeRequire(svc *probes.Service, d *probes.ServiceDetail, c *results.Check) results.Reason {
	if c == nil {
		return ""
	}
	for _, name := range c.Require {
		for _, req := range svc.Requires {
			if req.Name != name {
				continue
			}
			if met, known := req.Met(d); known && !met {
				return requireReasons[name]
			}
		}
	}
	return ""
}
