"""Is this file an eForms notice? Decided from its first bytes, without importing the eForms reader.

Every uploaded file is sniffed; the reader itself (`procure.ingest.eforms`, with YAML and lxml behind it) is only
imported for the files that are notices, which keeps it out of the cold start of a dossier of PDF pieces.
"""
from __future__ import annotations

NOTICE_ROOTS = ("ContractNotice", "PriorInformationNotice", "ContractAwardNotice")
UBL_ROOT_NS = "urn:oasis:names:specification:ubl:schema:xsd:{root}-2"


def looks_like_xml_notice(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"<" and any(UBL_ROOT_NS.format(root=root).encode() in head for root in NOTICE_ROOTS)


def looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")
