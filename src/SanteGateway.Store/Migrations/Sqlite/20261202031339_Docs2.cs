using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Docs2 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_document_submissions_State",
                table: "document_submissions");

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "document_submissions",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseUntil",
                table: "document_submissions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "NextAttemptAt",
                table: "document_submissions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RoundStartAttempts",
                table: "document_submissions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "IX_document_submissions_State_NextAttemptAt",
                table: "document_submissions",
                columns: new[] { "State", "NextAttemptAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_document_submissions_State_NextAttemptAt",
                table: "document_submissions");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "document_submissions");

            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "document_submissions");

            migrationBuilder.DropColumn(
                name: "NextAttemptAt",
                table: "document_submissions");

            migrationBuilder.DropColumn(
                name: "RoundStartAttempts",
                table: "document_submissions");

            migrationBuilder.CreateIndex(
                name: "IX_document_submissions_State",
                table: "document_submissions",
                column: "State");
        }
    }
}
