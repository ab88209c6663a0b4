"""What the OCI image and distribution specs say, once, for registry/ and osinfo/ (pure: no I/O).

media.py: media types, the Accept header, size caps; digest.py: digest syntax and checks;
model.py: frozen Descriptor / ImageManifest / Index and `parse_manifest` (attestations dropped);
platforms.py: platforms from index entries and configs, and the platform filter.
"""
