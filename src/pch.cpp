// Anchors the shared precompiled header (and stands in for a layer that has no sources yet).
