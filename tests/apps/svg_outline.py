#!/usr/bin/python3
# Parses an SVG file with Python's own XML parser and prints its outline for curves_test.cpp:
# "title <text>" for each text of the title, "polyline <panel> <points>" for each polyline, "height
# <h>" of the canvas, and "legend <y> <colour>" for each legend row.
# Exits 1 with the parser's message if the file is not well-formed XML.
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"

def main(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"not XML: {e}")
        return 1
    if root.tag != NS + "svg":
        print(f"root element is {root.tag}, not svg")
        return 1
    for text in root.findall(NS + "text"):
        print("title", text.text or "")
    print("height", root.get("height"))
    for panel in root.findall(NS + "g"):
        for line in panel.findall(NS + "polyline"):
            print("polyline", panel.get("id"), len(line.get("points").split()))
        if panel.get("class") == "legend":
            for line in panel.findall(NS + "line"):
                print("legend", line.get("y1"), line.get("stroke"))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
