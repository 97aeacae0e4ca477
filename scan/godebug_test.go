// Samba's self-made LDAPS certificates carry a negative serial number, which Go
// refuses to parse unless told otherwise; portreach's main package says so too.

//go:debug x509negativeserial=1
package scan
