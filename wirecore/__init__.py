"""The shared vocabulary at the bottom of wirewatch: errors and typed values crossing packages.

Imports nothing from the other wirewatch packages and no third-party library, so every
package (`storage` included) may import it.
"""
