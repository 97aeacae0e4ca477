package probes

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// LDAP confirms a directory on 389 and a Global Catalog on 3268 (RFC 4511 over
// TCP) with an anonymous rootDSE search, which Active Directory answers before
// any bind ([MS-ADTS] 3.1.1.3.2), then the StartTLS extended operation
// (RFC 4511 §4.14) when the rootDSE lists it, so the certificate is read too.
var LDAP = &Service{
	Name: "ldap", Ports: []uint16{389, 3268},
	Drift: append(tlsDrift(), ldapDrift...),
	New:   newLDAPDialog("ldap"),
}

// LDAPS is LDAP over TLS on 636 and the Global Catalog's 3269.
var LDAPS = &Service{
	Name: "ldaps", Ports: []uint16{636, 3269}, TLS: true,
	Drift: append(tlsDrift(), ldapDrift...),
	New:   newLDAPDialog("ldaps"),
}

var ldapDrift = []DriftField{
	{Path: "ldap.dns_host_name", Meaning: "another domain controller answers at this address"},
	{Path: "ldap.default_naming_context", Meaning: "the server serves another domain"},
	{Path: "ldap.dc_functionality", Meaning: "the DC's functional level changed (an upgrade or another DC)"},
}

// ldapStartTLSOID is the StartTLS extended operation (RFC 4511 §4.14.1).
const ldapStartTLSOID = "1.3.6.1.4.1.1466.20037"

// LDAPDetail is what a directory's rootDSE says ([MS-ADTS] 3.1.1.3.2).
type LDAPDetail struct {
	// ResultCode is the search's LDAP result code (RFC 4511 §4.1.9).
	ResultCode int `json:"result_code"`
	// DNSHostName, DefaultNamingContext and RootDomainNamingContext name the
	// server, its domain and its forest.
	DNSHostName             string `json:"dns_host_name,omitempty"`
	DefaultNamingContext    string `json:"default_naming_context,omitempty"`
	RootDomainNamingContext string `json:"root_domain_naming_context,omitempty"`
	// DCFunctionality, DomainFunctionality and ForestFunctionality are the
	// functional levels by Windows Server version ("2016").
	DCFunctionality     string `json:"dc_functionality,omitempty"`
	DomainFunctionality string `json:"domain_functionality,omitempty"`
	ForestFunctionality string `json:"forest_functionality,omitempty"`
	// GlobalCatalogReady is isGlobalCatalogReady.
	GlobalCatalogReady bool `json:"global_catalog_ready,omitempty"`
	// StartTLS is set when the rootDSE lists the StartTLS extended operation.
	StartTLS bool `json:"starttls_supported,omitempty"`
}

func (l *LDAPDetail) summary() string {
	parts := []string{"LDAP rootDSE"}
	if l.ResultCode != 0 {
		parts = append(parts, fmt.Sprintf("result %d", l.ResultCode))
	}
	if l.DNSHostName != "" {
		parts = append(parts, l.DNSHostName)
	}
	if l.DefaultNamingContext != "" {
		parts = append(parts, l.DefaultNamingContext)
	}
	if l.DCFunctionality != "" {
		parts = append(parts, "DC level "+l.DCFunctionality)
	}
	if l.GlobalCatalogReady {
		parts = append(parts, "GC")
	}
	return strings.Join(parts, ", ")
}

func newLDAPDialog(name string) func(io.Reader, string) (Dialog, error) {
	return func(io.Reader, string) (Dialog, error) {
		return &ldapDialog{d: ServiceDetail{Service: name}, tls: name == "ldaps"}, nil
	}
}

type ldapDialog struct {
	d     ServiceDetail
	tls   bool
	state int
	off   int // the search's answer before it has been read
}

func (l *ldapDialog) Detail() *ServiceDetail { return &l.d }

// The message IDs of the two requests.
const (
	ldapSearchID   = 1
	ldapStartTLSID = 2
)

// ldapKeep are the rootDSE attributes read, by lower-case name.
var ldapKeep = map[string]string{
	"dnshostname": "dnsHostName", "defaultnamingcontext": "defaultNamingContext",
	"rootdomainnamingcontext": "rootDomainNamingContext", "domaincontrollerfunctionality": "dc",
	"domainfunctionality": "domain", "forestfunctionality": "forest",
	"isglobalcatalogready": "gc", "supportedextension": "ext",
}

func (l *ldapDialog) Next(in []byte) (Step, error) {
	switch l.state {
	case 0:
		l.state = 1
		return Step{Send: cldapRootDSESearch(ldapSearchID)}, nil
	case 1:
		if len(in) > 0 && in[0] != berTagSequence {
			return Step{}, wrongService("an LDAP response", in)
		}
		if l.off > len(in) {
			l.off = 0 // a new reply
		}
		for {
			n, err := berFrame(in[l.off:])
			switch {
			case errors.Is(err, ErrTooLong):
				return Step{}, err
			case err != nil:
				return Step{}, wrongService("an LDAP response", in)
			case n == 0:
				return Step{}, nil
			}
			msg := in[l.off : l.off+n]
			l.off += n
			done, err := l.read(msg)
			if err != nil {
				return Step{}, err
			}
			if !done {
				continue
			}
			// StartTLS is asked for even when the rootDSE does not list it:
			// Samba does not, and a refusal is only a note.
			if l.tls {
				return Step{Done: true}, nil
			}
			l.state = 2
			return Step{Send: berEncode(berTagSequence, berInt(ldapStartTLSID),
				berEncode(berClassApplication|berConstructed|23, berOctets(berClassContext|0, []byte(ldapStartTLSOID))))}, nil
		}
	case 2:
		n, err := berFrame(in)
		if err != nil || n == 0 {
			return Step{}, err
		}
		l.off = 0
		code, err := ldapResult(in[:n], ldapStartTLSID, 24) // ExtendedResponse
		if err != nil {
			return Step{}, err
		}
		if code != 0 {
			l.d.Note = fmt.Sprintf("StartTLS refused: result %d", code)
			return Step{Done: true}, nil
		}
		l.state, l.d.StartTLS = 3, true
		return Step{StartTLS: true}, nil
	}
	return Step{Done: true}, nil
}

// read takes one LDAPMessage of the search's answer: an entry, or the
// SearchResultDone that ends it (done).
func (l *ldapDialog) read(msg []byte) (done bool, err error) {
	r := newBERReader(msg)
	m, err := r.Expect(berTagSequence)
	if err != nil {
		return false, wrongService("an LDAP response", msg)
	}
	body, _ := m.Children()
	idt, err := body.Expect(berTagInteger)
	if err != nil {
		return false, wrongService("an LDAP response", msg)
	}
	if id, err := idt.Int(); err != nil || id != ldapSearchID {
		return false, nil // a Notice of Disconnection (ID 0) or another message
	}
	op, err := body.Next()
	if err != nil {
		return false, fmt.Errorf("ldap: %w", err)
	}
	if l.d.LDAP == nil {
		l.d.LDAP = &LDAPDetail{}
	}
	switch op.Ident {
	case 0x64: // SearchResultEntry
		a := cldapAttributes(op, ldapKeep)
		first := func(k string) string {
			if v := a[k]; len(v) > 0 {
				return peerText([]byte(v[0]))
			}
			return ""
		}
		level := func(k string) string {
			if v := first(k); v != "" {
				if n, ok := functionalLevels[v]; ok {
					return n
				}
				return "level " + v
			}
			return ""
		}
		d := l.d.LDAP
		d.DNSHostName, d.DefaultNamingContext, d.RootDomainNamingContext = first("dnsHostName"), first("defaultNamingContext"), first("rootDomainNamingContext")
		d.DCFunctionality, d.DomainFunctionality, d.ForestFunctionality = level("dc"), level("domain"), level("forest")
		d.GlobalCatalogReady = strings.EqualFold(first("gc"), "TRUE")
		for _, e := range a["ext"] {
			d.StartTLS = d.StartTLS || e == ldapStartTLSOID
		}
		return false, nil
	case 0x65: // SearchResultDone
		code, err := ldapResult(msg, ldapSearchID, 5)
		if err != nil {
			return false, err
		}
		l.d.LDAP.ResultCode = code
		return true, nil
	}
	return false, nil
}

// ldapResult reads the resultCode of an LDAPResult-shaped response ([APPLICATION
// app]) with message ID id.
func ldapResult(msg []byte, id int64, app byte) (int, error) {
	r := newBERReader(msg)
	m, err := r.Expect(berTagSequence)
	if err != nil {
		return 0, fmt.Errorf("ldap: %w", err)
	}
	body, _ := m.Children()
	idt, err := body.Expect(berTagInteger)
	if err != nil {
		return 0, fmt.Errorf("ldap: messageID: %w", err)
	}
	if got, err := idt.Int(); err != nil || got != id {
		return 0, fmt.Errorf("ldap: message ID %x, want %d", idt.Value, id)
	}
	op, err := body.Expect(berClassApplication | berConstructed | app)
	if err != nil {
		return 0, fmt.Errorf("ldap: %w", err)
	}
	res, _ := op.Children()
	code, err := res.Expect(berTagEnumerated)
	if err != nil {
		return 0, fmt.Errorf("ldap: resultCode: %w", err)
	}
	c, err := code.Int()
	if err != nil || c < 0 || c > 1<<16 {
		return 0, fmt.Errorf("ldap: resultCode %x", code.Value)
	}
	return int(c), nil
}
