// Binary scan replies (DESIGN §2, §4): with `Accept: application/x-kdi-cells`
// a scan page comes back as one cell block and the page's facts travel in
// these headers:
//   x-kdi-scan-txn   the page's scanTxn
//   x-kdi-end        "true" when the scan is complete
//   x-kdi-resume     the resume token (absent at the end)
//   x-kdi-next-row   base64 row of the tablet to locate next, when the scan
//                    continues in a tablet not served here

export const SCAN_TXN_HEADER = 'x-kdi-scan-txn';
export const END_HEADER = 'x-kdi-end';
export const RESUME_HEADER = 'x-kdi-resume';
export const NEXT_ROW_HEADER = 'x-kdi-next-row';
