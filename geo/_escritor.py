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


def main() -> int:
    import pyarrow as pa
    import pyogrio

    entrada = sys.stdin.buffer
    linea = entrada.readline()
    if not linea.strip():  # quien lo lanzó desistió
        return 0
    destino, capa, tipo, crs = json.loads(linea)
    # destino es un temporal de geo.capas.archivo_atomico: se sincroniza una vez al final
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
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
