package probes

import "io"

// FTP confirms an FTP server (RFC 959) on 21 by its 220 greeting (421: service
// not available). It never logs in.
var FTP = &Service{
	Name: "ftp", Ports: []uint16{21},
	Drift: []DriftField{{Path: "banner", Meaning: "the greeting changed: other software or another server answers"}},
	New: func(io.Reader, string) (Dialog, error) {
		return &greetingDialog{d: ServiceDetail{Service: "ftp"}, want: "an FTP 220 greeting", codes: []string{"220"}, refuse: "421"}, nil
	},
}
