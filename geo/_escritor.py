"""Proceso auxiliar: escribe como capa de un GeoPackage un flujo Arrow que llega por su
entrada estándar.

Lo lanza :class:`geo.capas.EscrituraAparte` para escribir una capa grande mientras el proceso
principal sigue calculando (GDAL retiene el GIL mientras escribe: un hilo no serviría).
Arranca antes de que la capa esté lista y la espera: primero una línea JSON
``[DESTINO.gpkg, CAPA, TIPO_GEOMETRIA, CRS]`` y después un flujo Arrow (IPC), que GDAL va
escribiendo lote por lote. Si la entrada se cierra sin nada, termina sin escribir; si se corta
a medias, termina con error. Importa solo pyarrow y pyogrio.

Uso: ``python -m geo._escritor`` (todo por la entrada estándar).
"""

from __future__ import annotations

import json
import sys

OPCIONES_SQLITE_TEMPORAL = {
    "OGR_SQLITE_SYNCHRONOUS": "OFF",
    "OGR_SQLITE_PRAGMA": "page_size=32768",
}
"""Opciones de GDAL para escribir un GeoPackage temporal de :func:`geo.capas.archivo_atomico`:

* sin sincronizar cada transacción: el temporal se sincroniza una vez, al final, antes de
  renombrarlo (si el proceso se corta, se descarta);
* páginas de SQLite de 32 KiB en vez de 4 KiB (solo cuenta al crear el archivo): menos
  páginas que partir y enlazar por fila. Con un millón de predios, escribir la capa baja de
  7,1–7,3 s a 6,5 s, y el archivo pesa 3 % menos; leerlo tarda lo mismo.
"""


def lanzar():
    """Lanza este módulo en otro proceso, que importa pyarrow y pyogrio (~0,8 s) y espera la
    capa en su entrada estándar. Se le da con ``geo.capas.EscrituraAparte(..., proceso=)``,
    o se lo despide con :func:`despedir`. Solo importa ``subprocess``: se puede lanzar antes
    de importar lo pesado. Returns ``subprocess.Popen``."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "geo._escritor"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def despedir(proceso) -> None:
    """Cierra la entrada de un proceso de :func:`lanzar` que no se usó (termina sin escribir
    nada) y lo espera."""
    for tubo in (proceso.stdin, proceso.stderr):
        try:
            tubo.close()
        except OSError:
            pass
    proceso.wait()


def main() -> int:
    import pyarrow as pa
    import pyogrio

    entrada = sys.stdin.buffer
    linea = entrada.readline()
    if not linea.strip():  # quien lo lanzó desistió
        return 0
    destino, capa, tipo, crs = json.loads(linea)
    # destino es un temporal de geo.capas.archivo_atomico: se sincroniza una vez al final
    pyogrio.set_gdal_config_options(OPCIONES_SQLITE_TEMPORAL)
    lotes = pa.ipc.open_stream(entrada)
    pyogrio.write_arrow(lotes, destino, layer=capa, driver="GPKG", geometry_name="geometry",
                        geometry_type=tipo, crs=crs or None)
    return 0


def _principal() -> int:
    try:
        return main()
    except Exception as e:  # noqa: BLE001 - una línea para quien lo lanzó, no una traza
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(_principal())
