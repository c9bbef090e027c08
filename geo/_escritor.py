"""Proceso auxiliar: escribe una tabla Arrow (archivo IPC) como capa de un GeoPackage.

Lo lanza :class:`geo.capas.EscrituraAparte` para escribir una capa grande mientras el proceso
principal sigue calculando (GDAL retiene el GIL mientras escribe: un hilo no serviría).
Arranca antes de que la tabla esté lista y la espera: lee de su entrada estándar una línea
JSON ``[TABLA.arrow, DESTINO.gpkg, CAPA, TIPO_GEOMETRIA, CRS]``; si la entrada se cierra sin
nada, termina sin escribir. Importa solo pyarrow y pyogrio.

Uso: ``python -m geo._escritor`` (la orden, por la entrada estándar).
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    import pyarrow as pa
    import pyogrio

    linea = sys.stdin.readline()
    if not linea.strip():  # quien lo lanzó desistió
        return 0
    origen, destino, capa, tipo, crs = json.loads(linea)
    # destino es un temporal de geo.capas.archivo_atomico: se sincroniza una vez al final
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    with pa.memory_map(origen) as f:
        tabla = pa.ipc.open_file(f).read_all()
    pyogrio.write_arrow(tabla, destino, layer=capa, driver="GPKG", geometry_name="geometry",
                        geometry_type=tipo, crs=crs or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
