"""Recursos JS/CSS de los mapas interactivos, para incrustarlos en cada HTML (sin red).

Decisión: Leaflet se **versiona dentro del paquete** (``geo/mapas/recursos/leaflet-1.9.4/``),
traído una sola vez del registro npm con :func:`actualizar` (``npm pack leaflet@1.9.4``, con
la integridad sha512 que publica npm comprobada antes de extraer). Así instalar, construir y
abrir un mapa nunca necesitan red ni npm, el resultado es el mismo en cualquier máquina y quien
revisa ve exactamente qué código se publica. ``MANIFIESTO.json`` guarda el sha256 de cada
archivo; :func:`leaflet_js` y :func:`leaflet_css` lo verifican al leerlos.

No se usan plugins (búsqueda, leyenda, pantalla completa, popups): el JS propio de
``recursos/mapa.js`` los implementa en pocas líneas sobre Leaflet.

Para actualizar Leaflet: cambie ``VERSION_LEAFLET`` e ``INTEGRIDAD_NPM`` (``npm view
leaflet@X dist.integrity``) y ejecute ``python -m geo.mapas.recursos --actualizar``.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from geo.capas import archivo_atomico
from geo.errores import ErrorLectura

log = logging.getLogger(__name__)

DIRECTORIO = Path(__file__).with_name("recursos")
VERSION_LEAFLET = "1.9.4"
INTEGRIDAD_NPM = (
    "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
)
DIR_LEAFLET = DIRECTORIO / f"leaflet-{VERSION_LEAFLET}"
# Archivos del paquete npm que se copian (ruta dentro del tarball → ruta local).
ARCHIVOS_LEAFLET = {
    "package/dist/leaflet.js": "leaflet.js",
    "package/dist/leaflet.css": "leaflet.css",
    "package/LICENSE": "LICENSE",
    "package/dist/images/layers.png": "images/layers.png",
    "package/dist/images/layers-2x.png": "images/layers-2x.png",
    "package/dist/images/marker-icon.png": "images/marker-icon.png",
    "package/dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
    "package/dist/images/marker-shadow.png": "images/marker-shadow.png",
}
MANIFIESTO = DIR_LEAFLET / "MANIFIESTO.json"


def _sha256(datos: bytes) -> str:
    return hashlib.sha256(datos).hexdigest()


def _leer_verificado(relativa: str) -> bytes:
    """Lee un archivo de Leaflet y comprueba su sha256 contra el manifiesto."""
    try:
        manifiesto = json.loads(MANIFIESTO.read_text(encoding="utf-8"))
        datos = (DIR_LEAFLET / relativa).read_bytes()
    except (OSError, ValueError) as e:
        raise ErrorLectura(
            f"Faltan los recursos de Leaflet en {DIR_LEAFLET} ({e}). Reinstale el paquete o "
            "ejecute 'python -m geo.mapas.recursos --actualizar'.", "RECURSO_FALTANTE") from e
    esperado = manifiesto["archivos"].get(relativa)
    if esperado != _sha256(datos):
        raise ErrorLectura(
            f"El recurso {DIR_LEAFLET / relativa} no coincide con su sha256 en "
            f"{MANIFIESTO.name}: fue modificado. Ejecute 'python -m geo.mapas.recursos "
            "--actualizar' para restaurarlo.", "RECURSO_ALTERADO")
    return datos


@functools.cache
def leaflet_js() -> str:
    """leaflet.js listo para ir dentro de un ``<script>`` (sin la referencia al source map)."""
    texto = _leer_verificado("leaflet.js").decode("utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", texto)


@functools.cache
def leaflet_css() -> str:
    """leaflet.css con sus imágenes convertidas a ``data:`` (un CSS incrustado no tiene
    carpeta de al lado de donde cargarlas)."""
    texto = _leer_verificado("leaflet.css").decode("utf-8")

    def a_data(m: re.Match) -> str:
        b64 = base64.b64encode(_leer_verificado(m.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", a_data, texto)


@functools.cache
def propio(nombre: str) -> str:
    """Un recurso propio (``mapa.js``, ``mapa.css``)."""
    return (DIRECTORIO / nombre).read_text(encoding="utf-8")


def actualizar(npm: str = "npm") -> Path:
    """Trae ``leaflet@VERSION_LEAFLET`` del registro npm y reescribe los archivos versionados.

    Comprueba la integridad sha512 del tarball (la que publica el registro) antes de extraer.
    Necesita ``npm`` y acceso al registro; solo la usa quien actualiza Leaflet.
    """
    if shutil.which(npm) is None:
        raise ErrorLectura("No se encontró 'npm': instálelo para actualizar Leaflet.",
                           "NPM_FALTANTE")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"leaflet@{VERSION_LEAFLET}", "--pack-destination", tmp],
                       check=True, capture_output=True)
        tgz = Path(tmp) / f"leaflet-{VERSION_LEAFLET}.tgz"
        datos = tgz.read_bytes()
        algoritmo, b64 = INTEGRIDAD_NPM.split("-", 1)
        if base64.b64encode(hashlib.new(algoritmo, datos).digest()).decode() != b64:
            raise ErrorLectura(f"El tarball de leaflet@{VERSION_LEAFLET} no coincide con la "
                               f"integridad esperada {INTEGRIDAD_NPM}.", "RECURSO_ALTERADO")
        archivos: dict[str, str] = {}
        with tarfile.open(tgz) as tar:
            for origen, destino in ARCHIVOS_LEAFLET.items():
                contenido = tar.extractfile(origen).read()
                with archivo_atomico(DIR_LEAFLET / destino) as t:
                    t.write_bytes(contenido)
                archivos[destino] = _sha256(contenido)
    manifiesto = {"paquete": f"leaflet@{VERSION_LEAFLET}", "registro": "npm",
                  "integridad_tarball": INTEGRIDAD_NPM, "licencia": "BSD-2-Clause",
                  "archivos": archivos}
    with archivo_atomico(MANIFIESTO) as t:
        t.write_text(json.dumps(manifiesto, indent=2) + "\n", encoding="utf-8")
    for f in (leaflet_js, leaflet_css):
        f.cache_clear()
    log.info("Leaflet %s actualizado en %s", VERSION_LEAFLET, DIR_LEAFLET)
    return DIR_LEAFLET


def verificar() -> None:
    """Comprueba todos los archivos de Leaflet contra el manifiesto (lanza si alguno no coincide)."""
    for relativa in ARCHIVOS_LEAFLET.values():
        _leer_verificado(relativa)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Recursos de Leaflet de los mapas (versionados).")
    p.add_argument("--actualizar", action="store_true",
                   help=f"traer leaflet@{VERSION_LEAFLET} del registro npm")
    args = p.parse_args(argv)
    if args.actualizar:
        print(f"Leaflet {VERSION_LEAFLET} actualizado en {actualizar()}")
    verificar()
    print(f"Recursos de Leaflet {VERSION_LEAFLET} verificados (sha256).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
