// Package sellers links the sellers behind infringing listings into
// networks.
//
// A counterfeit operation runs shops on several marketplaces under names
// that differ a little, and sends buyers to a private channel: a WeChat id
// ("加V", "薇信", "VX"), a QQ number, a phone number, a link to another
// shop. Extract reads those handles from titles, descriptions and OCR text,
// undoing the usual disguises (full-width digits, separators inside phone
// numbers, homophones of 微信). NormalizeName reduces a shop name to its
// distinctive part (no 旗舰店/专营店 suffix, no spaces, no case). Link
// joins sellers that share a handle, a product photo (image hash) or a
// distinctive normalised name into networks, and keeps for each link the
// evidence it rests on (which handle, in which listing).
package sellers
