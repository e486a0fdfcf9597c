using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Inbound10 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "inbound_items")
                .Annotation("Npgsql:StorageParameter:toast_tuple_target", 8160);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterTable(
                name: "inbound_items")
                .OldAnnotation("Npgsql:StorageParameter:toast_tuple_target", 8160);
        }
    }
}
