package scan

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/portreach/portreach/probes"
	"github.com/portreach/portreach/results"
)

// The LDAPS certificate rules. Microsoft's "Enable LDAP over SSL with a
// third-party certification authority", section "Requirements for an LDAPS
// certificate", says what a DC's certificate needs before LDAP clients accept
// it over TLS (636, the global catalog's 3269, and StartTLS on 389 and 3268):
//
//   - the Enhanced Key Usage extension includes Server Authentication
//     (1.3.6.1.5.5.7.3.1);
//   - the DC's fully qualified domain name appears as the subject's common
//     name or as a DNS name in the Subject Alternative Name extension;
//   - it was issued by a CA the clients trust (here: one in --ca-file, when
//     given);
//   - it is valid (judgeCert: expired, not valid yet, expiring within
//     --cert-days).
//
// Each rule that fails names itself: cert-no-server-auth, cert-name-mismatch,
// cert-untrusted.

// ldapsSource is where the rules come from.
const ldapsSource = "https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/enable-ldap-over-ssl-3rd-certification-authority"

// judgeLDAPS applies the rules to the certificate an LDAP service presented
// (svc ldap after StartTLS, or ldaps), in their order, and returns the first
// that fails with what to say; "" when all hold, or the service is no LDAP
// over TLS. target is the name the host was scanned by.
func (r *run) judgeLDAPS(svc *probes.Service, d *probes.ServiceDetail, target string) (results.Reason, string) {
	t := d.TLS
	if svc != probes.LDAP && svc != probes.LDAPS || t == nil || t.Error != "" || t.FingerprintSHA256 == "" {
		return "", ""
	}
	fqdn := dcName(d, target)
	switch {
	case !slices.Contains(t.ExtKeyUsage, probes.ExtKeyServerAuth):
		what := "it has no Extended Key Usage extension"
		if len(t.ExtKeyUsage) > 0 {
			what = "its Extended Key Usage is " + strings.Join(t.ExtKeyUsage, ", ")
		}
		return results.ReasonCertNoServerAuth, "LDAPS certificate rule: Server Authentication (1.3.6.1.5.5.7.3.1) must be an Enhanced Key Usage; " + what
	case fqdn != "" && !certNames(t, fqdn):
		return results.ReasonCertNameMismatch, "LDAPS certificate rule: the DC's name " + fqdn + " must be the subject's CN or a SAN DNS name; the certificate names " + certNameList(t)
	case r.Confirm.Roots != nil && !t.Verified:
		return results.ReasonCertUntrusted, "LDAPS certificate rule: the chain must lead to a CA clients trust (--ca-file); " + t.VerifyError
	}
	return "", ""
}

// dcName is the DC's fully qualified name the certificate must carry: what
// the DC's rootDSE says it is (dnsHostName), else the name it was scanned by,
// unless that is an address; "" when neither names it.
func dcName(d *probes.ServiceDetail, target string) string {
	if d.LDAP != nil && d.LDAP.DNSHostName != "" {
		return strings.TrimSuffix(d.LDAP.DNSHostName, ".")
	}
	if _, err := netip.ParseAddr(strings.Trim(target, "[]")); err == nil || target == "" {
		return ""
	}
	return strings.TrimSuffix(target, ".")
}

// certNames reports whether the certificate names fqdn exactly (letter case
// aside) as its subject's common name or as one of its SAN DNS names.
func certNames(t *probes.TLSDetail, fqdn string) bool {
	if strings.EqualFold(t.CommonName, fqdn) {
		return true
	}
	return slices.ContainsFunc(t.SANs, func(n string) bool { return strings.EqualFold(n, fqdn) })
}

// certNameList lists the names a certificate carries, for the failure.
func certNameList(t *probes.TLSDetail) string {
	var names []string
	if t.CommonName != "" {
		names = append(names, "CN "+t.CommonName)
	}
	if len(t.SANs) > 0 {
		names = append(names, "SAN "+strings.Join(t.SANs, ", "))
	}
	if len(names) == 0 {
		return "no name"
	}
	return strings.Join(names, "; ")
}
